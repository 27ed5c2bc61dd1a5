#!/bin/sh
# Seeds for fuzz-requirements: the first byte picks the parser ('0'
# requirements.txt, '1' pyproject.toml, '2' one PEP 508 string).
d=${1:?usage: seeds-requirements.sh DIR}
mkdir -p "$d"
printf '0%s\n' 'torch==2.1.0  # pinned' 'transformers>=4.30,<5 ; python_version >= "3.8"' \
    'Scikit_Learn[Extra, two] (>=1.0)' '--extra-index-url=https://u:p@evil.test/simple' \
    '-r sub/more.txt' '-c pins.txt' '-e git+https://github.com/o/r@v1#egg=pkg' \
    'https://example.com/p-1.0-py3-none-any.whl' './local' 'foo==1.0 --hash=sha256:ab' \
    'bar>=1 \' '  ,<2' >"$d/requirements"
printf '0%s\n' '# comment \' 'numpy' '--trusted-host h' 'x (>=1' 'y;os_name=="nt" or (extra=="a" and python_version<"3")' >"$d/requirements2"
printf '1%s\n' '[build-system]' 'requires = ["setuptools>=61", '"'wheel'"']' '[project]' \
    'name = "x"' 'description = """multi' 'line ] "quoted" """' 'authors = [{name = "A"}]' \
    'dependencies = [' '  "torch==2.1.0",  # c' '  "req\u0075ests",' ']' \
    '[project.optional-dependencies]' 'dev = ["pytest>=7"]' '[[tool.x]]' 'a = 1979-05-27' >"$d/pyproject"
printf '2%s' 'requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"' >"$d/pep508"
printf '2%s' 'pkg @ https://example.com/pkg.tar.gz ; sys_platform == "linux"' >"$d/pep508-url"
