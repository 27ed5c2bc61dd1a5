#!/bin/sh
# Seeds for fuzz-card: model card front matter, plain and odd, in DIR.
set -eu
dir=$1
mkdir -p "$dir"
printf -- '---\nlicense: apache-2.0\ndatasets:\n  - wikitext\n  - "c4"\npipeline_tag: text-generation\nbase_model: [a/b, c/d]\n---\n# Model\n' >"$dir/plain"
printf -- '---\r\nlicense: "mit"\r\n---\r\n' >"$dir/crlf"
printf -- '---\nlicense: \xc3\xa9\xe2\x82\n datasets: [x, "y\n---\n' >"$dir/broken"
printf -- 'no front matter\nlicense: mit\n' >"$dir/none"
