#!/usr/bin/env bash
# make demo: runs a real pipeline end to end in a scratch workspace and shows
# where its outputs, metrics and lineage are.
# Usage: scripts/demo.sh PATH/TO/mlpipe
set -euo pipefail
MLPIPE=$(readlink -f "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=${MLPIPE_DEMO_DIR:-$ROOT/build/demo}
rm -rf "$DEMO"
mkdir -p "$DEMO"
export MLPIPE_HOME="$DEMO/.mlpipe"

if [[ -f "$ROOT/examples/lending_club/pipeline.yaml" ]]; then
  EXAMPLE=lending_club
  LAST=train         # the model package is what the demo points at
else
  EXAMPLE=textstats
  LAST=merge
fi
cp -r "$ROOT/examples/$EXAMPLE" "$DEMO/"
cd "$DEMO/$EXAMPLE"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step "$MLPIPE" validate pipeline.yaml
step "$MLPIPE" graph pipeline.yaml --format mermaid
step "$MLPIPE" run pipeline.yaml
echo
echo "Run it again: every step is reused from the cache."
step "$MLPIPE" run pipeline.yaml --explain
RUN=$("$MLPIPE" runs list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')  # the run that executed
step "$MLPIPE" runs show "$RUN"
OUT=$("$MLPIPE" artifacts list --json | python3 -c '
import json, sys
arts = json.load(sys.stdin)
last = [a for a in arts if a["name"].split(".")[1] == sys.argv[1]]
print(last[0]["name"] if last else arts[0]["name"])' "$LAST")
if [[ $EXAMPLE == lending_club ]]; then
  step "$MLPIPE" artifacts cat lending_club.evaluate.blessing
  step "$MLPIPE" models list
fi
step "$MLPIPE" artifacts lineage "$OUT"
step "$MLPIPE" artifacts verify
# Name (with version), store path and type of the artifact the demo points at.
read -r NAME KIND STORED < <("$MLPIPE" artifacts show "$OUT" --json |
  python3 -c 'import json,sys; a=json.load(sys.stdin); print(a["name"], a["type"], a["path"])')
echo
if [[ $KIND == model ]]; then
  echo "Model:    $NAME, a model package folder (manifest.json, model.ubj, transform.json, schema.json, stats.json)"
else
  echo "Output:   $NAME ($KIND)"
fi
echo "          stored at $STORED"
echo "Demo workspace: $MLPIPE_HOME"
echo
# Commands to paste: the first lines put this build's mlpipe on PATH and
# select the demo's workspace, so the rest read as they do once installed.
echo "Paste these into a shell to go on from here:"
echo
printf '  export PATH=%q:$PATH   # or install it: make install PREFIX=~/.local, or make package\n' "$(dirname "$MLPIPE")"
printf '  export MLPIPE_HOME=%q\n' "$MLPIPE_HOME"
printf '  cd %q\n' "$DEMO/$EXAMPLE"
echo "  mlpipe runs show $RUN                # params, steps and metrics of the run"
echo "  mlpipe artifacts show $NAME"
echo "  mlpipe artifacts lineage $NAME"
echo "  mlpipe artifacts list"
if [[ $EXAMPLE == lending_club ]]; then
  echo "  mlpipe models show lending-club"
  echo "  mlpipe run pipeline.yaml -p max_depth=6 -p eta=0.3 --explain   # train and the steps after it run again"
  echo "  mlpipe serve --model lending-club@candidate   # then see docs/http-api.md"
else
  echo "  mlpipe run pipeline.yaml -p repeat=5 --explain   # the steps that use it run again"
fi
echo
echo "A project of your own (its workspace is its own: leave MLPIPE_HOME unset):"
echo "  mlpipe init my-project --template tabular && cd my-project && mlpipe run pipeline.yaml"
