#!/usr/bin/env bash
# End-to-end: `cmake --install BUILD --prefix <fresh folder>`, as any user
# (make install PREFIX=...). Everything lands under the prefix where it is
# expected (the executables, completions, man pages, docs, examples), and the
# installed mlpipe works from there alone: --version, `man`, the bash
# completion as bash-completion loads it, the textstats example copied out of
# share/ (run, then cached), `mlpipe init` and `mlpipe serve` (which runs the
# model server from libexec/) on the model the tabular template trains.
#   tests/e2e/install_test.sh BUILD_DIR      (a built tree; exit 0 on success)
set -euo pipefail
BUILD=$(readlink -f "${1:?usage: $0 BUILD_DIR}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/mlpipe-install-test.XXXXXX)
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true; fi
  chmod -R u+w "$WORK" 2>/dev/null || true  # the object store is read-only
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '[install-test] %s\n' "$*"; }
fail() { log "FAIL: $*"; exit 1; }
expect_file() { [[ -f $1 ]] || fail "missing $1"; }

# The prefix the README suggests, ~/.local, in a home folder of our own.
HOME_DIR=$WORK/home
PREFIX=$HOME_DIR/.local
cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; fail "cmake --install"; }
log "installed into $PREFIX"

# Nothing outside the prefix.
while read -r f; do
  [[ $f == "$PREFIX"/* ]] || fail "installed outside the prefix: $f"
done <"$BUILD/install_manifest.txt"

# Where each thing goes.
[[ -x $PREFIX/bin/mlpipe ]] || fail "no executable $PREFIX/bin/mlpipe"
[[ -x $PREFIX/libexec/mlpipe/mlpipe-serve ]] || fail "no executable $PREFIX/libexec/mlpipe/mlpipe-serve"
[[ ! -e $PREFIX/bin/mlpipe-serve ]] || fail "mlpipe-serve is not a command: it belongs in libexec/"
[[ -x $PREFIX/libexec/mlpipe/mlpipe-spawn ]] || fail "no executable $PREFIX/libexec/mlpipe/mlpipe-spawn"
[[ ! -e $PREFIX/bin/mlpipe-spawn ]] || fail "mlpipe-spawn is not a command: it belongs in libexec/"
expect_file "$PREFIX/share/bash-completion/completions/mlpipe"
expect_file "$PREFIX/share/zsh/site-functions/_mlpipe"
for page in mlpipe mlpipe-run mlpipe-init mlpipe-runs mlpipe-runs-list mlpipe-serve mlpipe-completion; do
  expect_file "$PREFIX/share/man/man1/$page.1"
done
for doc in README.md cli.md pipeline-spec.md components.md; do expect_file "$PREFIX/share/doc/mlpipe/$doc"; done
for f in "$SRC"/examples/textstats/pipeline.yaml "$SRC"/examples/textstats/scripts/*.py; do
  cmp -s "$f" "$PREFIX/share/mlpipe/examples/textstats/${f#"$SRC"/examples/textstats/}" || fail "examples: $f differs"
done
log "files in place"

# From here on only the installed files are used: PATH has the prefix's bin
# first, and the commands run outside the source and build trees.
export PATH="$PREFIX/bin:$PATH"
unset MLPIPE_HOME
cd "$WORK"
[[ $(command -v mlpipe) == "$PREFIX/bin/mlpipe" ]] || fail "mlpipe on PATH is $(command -v mlpipe)"
version=$(mlpipe --version)
[[ $version =~ ^mlpipe\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "mlpipe --version printed '$version'"
log "$version"

# man finds the pages through MANPATH (a prefix on PATH is enough for man-db,
# but this one is not in its configuration).
[[ $(MANPATH="$PREFIX/share/man" man -w mlpipe) == "$PREFIX/share/man/man1/mlpipe.1" ]] || fail "man -w mlpipe"
MANPATH="$PREFIX/share/man" MANWIDTH=100 man mlpipe-run 2>/dev/null | grep -q -- '--no-cache' || fail "man mlpipe-run"
log "man pages found and rendered"

# The bash completion: bash-completion loads it on demand from
# ~/.local/share/bash-completion/completions (and /usr/local/share, /usr/share);
# without that package, sourcing the file must work.
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
  got=$(env -u XDG_DATA_HOME -u BASH_COMPLETION_USER_DIR HOME="$HOME_DIR" bash --norc --noprofile -c \
    'source /usr/share/bash-completion/bash_completion; __load_completion mlpipe; complete -p mlpipe')
  [[ $got == *"-F _mlpipe mlpipe"* ]] || fail "bash-completion did not load the completion: '$got'"
  log "bash-completion loads it from $PREFIX/share/bash-completion/completions"
fi
got=$(bash --norc --noprofile "$SRC/tests/e2e/bash_complete.sh" "$PREFIX/share/bash-completion/completions/mlpipe" mlpipe runs '')
# What it offers: the subcommands the installed mlpipe's own help lists, sorted.
want=$("$PREFIX/bin/mlpipe" runs --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF {print $1}' | sort | xargs)
[[ $want == *"list"*"show"* ]] || fail "mlpipe runs --help lists no subcommands: '$want'"
[[ $got == "$want" ]] || fail "bash completion of 'mlpipe runs' gave '$got', not '$want'"

# The textstats example, copied out of share/ and run.
cp -r "$PREFIX/share/mlpipe/examples/textstats" "$WORK/textstats"
cd "$WORK/textstats"
mlpipe validate pipeline.yaml >/dev/null || fail "validate textstats"
MLPIPE_DEBUG=1 mlpipe run pipeline.yaml >"$WORK/run1.log" 2>&1 || { cat "$WORK/run1.log"; fail "run textstats"; }
grep -q "run 1 succeeded" "$WORK/run1.log" || { cat "$WORK/run1.log"; fail "textstats run 1 did not succeed"; }
# The steps were forked by the installed step spawner (libexec/mlpipe/mlpipe-spawn).
! grep "steps forked by mlpipe itself" "$WORK/run1.log" || fail "the installed mlpipe found no step spawner"
mlpipe run pipeline.yaml --json >"$WORK/run2.log" 2>&1 || fail "rerun textstats"
[[ $(grep -c '"event":"cached"' "$WORK/run2.log") -eq 4 ]] || { cat "$WORK/run2.log"; fail "rerun: not every step cached"; }
mlpipe artifacts verify >/dev/null || fail "artifacts verify"
log "textstats ran from $WORK/textstats, then every step was cached"

# A starter project, its model served by the model server in libexec/.
cd "$WORK"
mlpipe init tabular --template tabular >"$WORK/init.log" || { cat "$WORK/init.log"; fail "mlpipe init"; }
cd "$WORK/tabular"
mlpipe run pipeline.yaml >"$WORK/tabular.log" 2>&1 || { cat "$WORK/tabular.log"; fail "run the tabular template"; }
mlpipe serve --model tabular@candidate --port 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 300); do grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$WORK/serve.out")
[[ -n $url ]] || { cat "$WORK/serve.err"; fail "mlpipe serve did not start"; }
row=$(head -2 data/new.csv | python3 -c '
import csv, json, sys
r = next(csv.DictReader(sys.stdin))
r.pop("diagnosis")
print(json.dumps({"instances": [{k: float(v) for k, v in r.items()}]}))')
answer=$(curl -sf -X POST "$url/v1/models/tabular:predict" -H 'Content-Type: application/json' -d "$row") ||
  fail "predict request to $url failed"
[[ $answer == *predictions* ]] || fail "predict answered '$answer'"
kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=""
[[ $rc -eq 0 ]] || fail "mlpipe serve exited $rc on SIGTERM"
log "mlpipe init --template tabular trained a model; mlpipe serve served it: $answer"
log "OK"
