# Helpers of the serving benchmarks (sourced by run.sh and ab.sh).
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_listening() { for _ in $(seq 300); do grep -q "listening on" "$1" 2>/dev/null && return 0; sleep 0.1; done; cat "$1"; return 1; }
field() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" <<<"$1"; }
