#!/bin/sh
# `mlpipe export argo` checked by an independent validator (validate.mjs:
# @kubernetes-models/argo-workflows, from Argo's published schema): the
# examples, a pipeline with cached steps, one with resources, retries and
# timeouts, a fan-out; and broken Workflows that the validator must reject, so
# that this test would fail if validation did nothing.
#
#   export_test.sh MLPIPE NODE VALIDATOR WORK_DIR
set -eu
mlpipe=$1 node=$2 validator=$3 work=$4
src=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$work"
mkdir -p "$work/out"
export MLPIPE_HOME="$work/.mlpipe"
out=$work/out

# The examples, against an empty workspace: every step is a task.
for ex in textstats iris concrete lending_club custom_metrics notebook sklearn_compare; do
  cp -r "$src/examples/$ex" "$work/$ex"
  "$mlpipe" export argo "$work/$ex/pipeline.yaml" -o "$out/$ex.yaml" 2>/dev/null
done
# (sklearn_compare/challenge.yaml reads a registered model: exported after pipeline.yaml has run, not here.)
# Explicit S3 endpoint and JSON.
"$mlpipe" export argo "$work/iris/pipeline.yaml" --format json --s3-endpoint http://rgw.local:7480 \
  --s3-bucket ml --s3-secret ml-s3 --s3-prefix team/ml --image registry.local/ml:2 -o "$out/iris-s3.json" 2>/dev/null

# A named artifact repository.
"$mlpipe" export argo "$work/concrete/pipeline.yaml" --artifact-repository ml-team -o "$out/concrete-repo.yaml" 2>/dev/null
grep -q 'artifactRepositoryRef' "$out/concrete-repo.yaml"

# Cached steps: textstats run, then one source changed: generate and count
# stay cached (no tasks), merge and done run and read generate's output at its key.
(cd "$work/textstats" && "$mlpipe" run pipeline.yaml >/dev/null)
echo "one more line" >>"$work/textstats/data/extra.txt"
"$mlpipe" export argo "$work/textstats/pipeline.yaml" -o "$out/textstats-cached.yaml" 2>/dev/null
grep -q 'mlpipe.dev/step.generate: "cached: ' "$out/textstats-cached.yaml"
grep -q 'mlpipe.dev/step.merge: "run: ' "$out/textstats-cached.yaml"
if grep -q 'name: "step-generate"' "$out/textstats-cached.yaml"; then
  echo "FAIL: the cached step generate is a task"; exit 1
fi

cp "$src/tests/argo/resources_pipeline.yaml" "$src/tests/argo/fanout_pipeline.yaml" "$work/"
"$mlpipe" export argo "$work/resources_pipeline.yaml" -o "$out/knobs.yaml" 2>/dev/null
"$mlpipe" export argo "$work/fanout_pipeline.yaml" -o "$out/fanout.yaml" 2>/dev/null
grep -q 'activeDeadlineSeconds: 600' "$out/knobs.yaml"

"$node" "$validator" "$out"/*.yaml "$out"/*.json

# Broken Workflows: a schema violation (an image that is not a string), a
# task naming a template that does not exist, a read without a dependency.
mkdir -p "$work/broken"
sed 's/^\( *\)image: .*/\1image: 42/' "$out/textstats.yaml" >"$work/broken/image.yaml"
sed '0,/template: "step-count"/s//template: "step-nothing"/' "$out/textstats.yaml" >"$work/broken/template.yaml"
sed '/^ *dependencies:/,/^ *name:/{/^ *- "generate"/d}' "$out/textstats.yaml" >"$work/broken/dependency.yaml"
for f in "$work"/broken/*.yaml; do
  if cmp -s "$f" "$out/textstats.yaml"; then echo "FAIL: $f was not broken"; exit 1; fi
done
"$node" "$validator" --expect-invalid "$work"/broken/*.yaml
echo "every export valid, every broken Workflow rejected"
