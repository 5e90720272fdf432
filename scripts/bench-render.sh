#!/usr/bin/env bash
# Whole-process benchmark: `hms-sys render` (warm and cold plugin cache) side by side with
# `kubectl kustomize` on a kustomization holding the same manifests. Needs hyperfine and GNU time
# (apt-get install -y hyperfine time). Prints hyperfine's table and peak RSS of each.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p hms-sys
bin=target/release/hms-sys
spec=examples/dcaa_cluster.yml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HMS_SYS_CACHE_DIR="$work/cache"
# The same manifests as files plus a kustomization.yaml, for kustomize to build.
"$bin" render "$spec" --out "$work/kustomize" >/dev/null
"$bin" render "$spec" >"$work/hms.yaml"
kubectl kustomize "$work/kustomize" >"$work/kustomize.yaml"
echo "objects: hms-sys $(grep -c '^kind:' "$work/hms.yaml"), kustomize $(grep -c '^kind:' "$work/kustomize.yaml")"
runs=${RUNS:-30}
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/table.md" \
  -n "hms-sys render (warm cache)" "$bin render $spec" \
  -n "kubectl kustomize" "kubectl kustomize $work/kustomize" \
  -n "hms-sys render (cold cache)" --prepare "rm -rf $work/cold" \
  "env HMS_SYS_CACHE_DIR=$work/cold $bin render $spec"
cat "$work/table.md"
peak() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
echo
echo "peak RSS (KiB), median of 5:"
for name in hms kustomize; do
  vals=()
  for _ in 1 2 3 4 5; do
    if [ $name = hms ]; then vals+=("$(peak "$bin" render "$spec")"); else vals+=("$(peak kubectl kustomize "$work/kustomize")"); fi
  done
  printf '%s %s\n' "$name" "$(printf '%s\n' "${vals[@]}" | sort -n | sed -n 3p)"
done
