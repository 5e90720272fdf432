#!/usr/bin/env bash
# Whole-process benchmark: `hms-sys render` (warm and cold plugin cache) side by side with
# `kubectl kustomize` on a kustomization holding the same manifests. Needs hyperfine and GNU time
# (apt-get install -y hyperfine time). Prints hyperfine's table and peak RSS of each.
# BEFORE=path/to/an/older/hms-sys adds that binary's warm and cold runs to the same hyperfine run.
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
before=()
if [ -n "${BEFORE:-}" ]; then
  HMS_SYS_CACHE_DIR="$work/before" "$BEFORE" render "$spec" >/dev/null
  before=(-n "before: hms-sys render (warm cache)" "env HMS_SYS_CACHE_DIR=$work/before $BEFORE render $spec")
fi
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/table.md" \
  -n "hms-sys render (warm cache)" "$bin render $spec" \
  "${before[@]}" \
  -n "kubectl kustomize" "kubectl kustomize $work/kustomize"
hyperfine -N --warmup 1 --runs "$(( (runs + 2) / 3 ))" --export-markdown "$work/cold.md" \
  --prepare "rm -rf $work/cold" \
  -n "hms-sys render (cold cache)" "env HMS_SYS_CACHE_DIR=$work/cold $bin render $spec" \
  ${BEFORE:+-n "before: hms-sys render (cold cache)" "env HMS_SYS_CACHE_DIR=$work/cold $BEFORE render $spec"}
cat "$work/table.md" "$work/cold.md"
peak() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
echo
echo "peak RSS (KiB), median of 5:"
for name in hms ${BEFORE:+before} kustomize; do
  vals=()
  for _ in 1 2 3 4 5; do
    case $name in
      hms) vals+=("$(peak "$bin" render "$spec")") ;;
      before) vals+=("$(HMS_SYS_CACHE_DIR="$work/before" peak "$BEFORE" render "$spec")") ;;
      *) vals+=("$(peak kubectl kustomize "$work/kustomize")") ;;
    esac
  done
  printf '%s %s\n' "$name" "$(printf '%s\n' "${vals[@]}" | sort -n | sed -n 3p)"
done
