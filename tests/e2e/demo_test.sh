#!/usr/bin/env bash
# End-to-end: `make demo`'s script runs the example and ends with commands to
# paste; pasted into a fresh shell, every one of them works (all but `mlpipe
# serve`, which would not return), and so does the line that starts a
# project of one's own.
#   tests/e2e/demo_test.sh PATH/TO/mlpipe      (exit 0 on success)
set -euo pipefail
MLPIPE=$(readlink -f "${1:?usage: $0 PATH/TO/mlpipe}")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/mlpipe-demo-test.XXXXXX)
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
log() { printf '[demo-test] %s\n' "$*"; }
fail() { log "FAIL: $*"; exit 1; }

MLPIPE_DEMO_DIR=$WORK/demo "$SRC/scripts/demo.sh" "$MLPIPE" >"$WORK/demo.log" 2>&1 ||
  { tail -30 "$WORK/demo.log"; fail "scripts/demo.sh"; }

# The block after "Paste these", each line indented by two spaces.
awk '/^Paste these/ {on = 1; next} on && /^  / {print substr($0, 3)} on && /^[^ ]/ && !/^Paste/ {exit}' \
  "$WORK/demo.log" >"$WORK/paste.sh"
[[ -s $WORK/paste.sh ]] || { tail -30 "$WORK/demo.log"; fail "the demo printed no commands to paste"; }
head -1 "$WORK/paste.sh" | grep -qF "export PATH=$(dirname "$MLPIPE"):" ||
  fail "the first command does not put $(dirname "$MLPIPE") on PATH: $(head -1 "$WORK/paste.sh")"
grep -v '^mlpipe serve' "$WORK/paste.sh" >"$WORK/paste-run.sh"
log "pasting $(wc -l <"$WORK/paste-run.sh") commands"
(cd "$WORK" && env -u MLPIPE_HOME PATH=/usr/bin:/bin bash -e -x "$WORK/paste-run.sh") >"$WORK/paste.log" 2>&1 ||
  { tail -30 "$WORK/paste.log"; fail "a pasted command failed"; }

# The last line: a project of one's own, outside the demo's workspace.
own=$(awk '/^A project of your own/ {getline; print substr($0, 3)}' "$WORK/demo.log")
[[ $own == mlpipe\ init* ]] || fail "no 'mlpipe init' line for a project of one's own: '$own'"
(cd "$WORK" && env -u MLPIPE_HOME PATH="$(dirname "$MLPIPE"):/usr/bin:/bin" bash -e -c "$own") >"$WORK/own.log" 2>&1 ||
  { tail -30 "$WORK/own.log"; fail "$own"; }
grep -q "run 1 succeeded" "$WORK/own.log" || { tail "$WORK/own.log"; fail "the new project's run did not succeed"; }
log "OK"
