# bench/lib.sh: what bench scripts share; sourced, never run (not executable,
# so `make bench` skips it).

# bench_record PAGE RESULTS [NAME]: replaces what PAGE holds between its
# "<!-- NAME -->" and "<!-- /NAME -->" lines (NAME defaults to "results")
# with RESULTS, so a rerun updates the figures and leaves the page's prose
# alone. A page without the markers is left untouched.
bench_record() {
	local name=${3:-results}
	[ -f "$1" ] && grep -q "^<!-- $name -->\$" "$1" || return 0
	python3 - "$1" "$2" "$name" <<'PY'
import sys
path, results, name = sys.argv[1], sys.argv[2], sys.argv[3]
open_, close = "<!-- %s -->" % name, "<!-- /%s -->" % name
text = open(path).read()
head, rest = text.split(open_ + "\n", 1)
tail = rest.split(close, 1)[1] if close in rest else "\n"
open(path, "w").write(head + open_ + "\n" + results + "\n" + close + tail)
PY
}

# bench_nginx CONF_DIR HOST SERVER_BODY [RATE]: nginx as a fast static file
# server on a free port of HOST (loopback), in the background; sets
# BENCH_NGINX_PID and BENCH_NGINX_PORT. SERVER_BODY goes inside the server
# block after its listen line ("root DIR;", "location /cdn/ { alias DIR/; }").
# sendfile, two workers and no access log, so that the server is not what is
# measured. RATE, when not empty, limits each connection like a network
# link (nginx's limit_rate: "50m" is 50 MiB a second).
bench_nginx() {
	local conf=$1 host=$2 body=$3 rate=${4:-} i
	BENCH_NGINX_PORT=$(python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$host")
	mkdir -p "$conf/tmp"
	cat >"$conf/nginx.conf" <<EOF
worker_processes 2;
pid $conf/nginx.pid;
error_log $conf/error.log;
events { worker_connections 256; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 10000;
	client_body_temp_path $conf/tmp;
	proxy_temp_path $conf/tmp;
	fastcgi_temp_path $conf/tmp;
	uwsgi_temp_path $conf/tmp;
	scgi_temp_path $conf/tmp;
	types { }
	default_type application/octet-stream;
	server {
		listen $host:$BENCH_NGINX_PORT;
		${rate:+limit_rate $rate;}
		$body
	}
}
EOF
	nginx -p "$conf" -c "$conf/nginx.conf" -e "$conf/error.log" -g 'daemon off;' </dev/null &
	BENCH_NGINX_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$host:$BENCH_NGINX_PORT/")" != 000 ] && break
		sleep 0.1
	done
}

# bench_link RATE: the link a run measured, in words, for its results block.
bench_link() {
	if [ -n "$1" ]; then
		echo "each connection limited by nginx to $1 a second (limit_rate; m is MiB)"
	else
		echo "loopback, unshaped"
	fi
}
