#!/usr/bin/env bash
# Mesh analyser benchmark.
#   accuracy: accuracy per variant (stand-in templates, fixed seeds) with the score table used to calibrate
#             the thresholds (results in RESULTS.md);
#   speed:    issue 6 part 7 (results in SPEED.md): a 10M-triangle binary STL ingested (read + weld + body
#             split) beside Assimp's raw import and admesh on the same file; a 1M-triangle STL to
#             descriptors on 1 and 2 threads (and through the CLI); shortlist and verification per part
#             against 10,000 stand-in templates. The big STLs are generated here and deleted afterwards.
# Usage: bench/mesh_match/run.sh BUILD_DIR OUT_DIR [accuracy|speed|all]   (default all)
set -euo pipefail
BUILD_DIR=${1:?build dir}
OUT_DIR=${2:?output dir}
WHAT=${3:-all}
mkdir -p "$OUT_DIR"

if [[ $WHAT == accuracy || $WHAT == all ]]; then
  TOOL="$BUILD_DIR/bin/interdict-mesh-accuracy"
  # More than the fixed-seed test (24 templates, 4 queries, 21 per negative variant, seed 7); the negatives
  # give 2 x 30 x 36 = 2,160 (query, template) decisions for the false-positive rate.
  echo "== accuracy: 36 templates, 8 queries per variant, 30 per negative variant, seed 1"
  /usr/bin/time -v "$TOOL" --templates 36 --queries 8 --negatives 30 --seed 1 --scores "$OUT_DIR/mesh-scores.csv" \
    2> "$OUT_DIR/mesh-accuracy.time" | tee "$OUT_DIR/mesh-accuracy.md"
  grep -E "Elapsed|Maximum resident" "$OUT_DIR/mesh-accuracy.time" || true
fi

[[ $WHAT == speed || $WHAT == all ]] || exit 0

SPEED="$BUILD_DIR/bin/interdict-mesh-speed"
DATA="$OUT_DIR/speed-data"
REPORT="$OUT_DIR/mesh-speed.md"
TEMPLATES=${MESH_SPEED_TEMPLATES:-10000}
QUERIES=${MESH_SPEED_QUERIES:-50}
mkdir -p "$DATA"
trap 'rm -rf "$DATA"' EXIT

# run LABEL CMD...: runs CMD under /usr/bin/time, keeps its output in $OUT_DIR/speed-LABEL.out and prints
# "wall cpu peak_mb" into $OUT_DIR/speed-LABEL.time.
run() {
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$OUT_DIR/speed-$label.rawtime" "$@" > "$OUT_DIR/speed-$label.out" 2>&1 || {
    echo "!! $label failed:" "$@"
    cat "$OUT_DIR/speed-$label.out"
  }
  awk '{printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024}' "$OUT_DIR/speed-$label.rawtime" > "$OUT_DIR/speed-$label.time"
}
field() { awk -v k="$2" '{print $k}' "$OUT_DIR/speed-$1.time"; }
row() {  # row WHAT LABEL_INTERDICT COMPARATOR_NAME LABEL_COMPARATOR
  local w1 c1 m1 w2 c2 m2
  read -r w1 c1 m1 < "$OUT_DIR/speed-$2.time"
  read -r w2 c2 m2 < "$OUT_DIR/speed-$4.time"
  printf '| %s | %s s / %s s / %s MB | %s | %s s / %s s / %s MB | %s | %s |\n' "$1" "$w1" "$c1" "$m1" "$3" "$w2" "$c2" "$m2" \
    "$(awk -v a="$w1" -v b="$w2" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')" \
    "$(awk -v a="$c1" -v b="$c2" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')"
}

echo "== speed: generating the STLs"
"$SPEED" stl "$DATA/plate-10m.stl" 10000000 4
"$SPEED" stl "$DATA/torus-1m.stl" 1000000 1
cat "$DATA/plate-10m.stl" "$DATA/torus-1m.stl" > /dev/null  # warm page cache for every reader alike

echo "== speed: 10M-triangle ingest"
run ingest-10m "$SPEED" ingest "$DATA/plate-10m.stl"
have_assimp=0 have_admesh=0
if command -v assimp > /dev/null; then
  have_assimp=1
  run assimp-raw-10m assimp info "$DATA/plate-10m.stl" -r -s
fi
if command -v admesh > /dev/null; then
  have_admesh=1
  run admesh-read-10m admesh -c "$DATA/plate-10m.stl"
  run admesh-exact-10m admesh -e "$DATA/plate-10m.stl"
fi

echo "== speed: 1M-triangle describe"
run describe-1m-t1 "$SPEED" describe "$DATA/torus-1m.stl" 1
run describe-1m-t2 "$SPEED" describe "$DATA/torus-1m.stl" 2
run profile-1m "$SPEED" profile "$DATA/torus-1m.stl"
if [[ -x "$BUILD_DIR/bin/interdict" ]]; then
  run cli-describe-1m "$BUILD_DIR/bin/interdict" --in-process mesh describe "$DATA/torus-1m.stl"
  run cli-describe-10m "$BUILD_DIR/bin/interdict" --in-process mesh describe "$DATA/plate-10m.stl"
fi
[[ $have_assimp == 1 ]] && run assimp-info-1m assimp info "$DATA/torus-1m.stl" -s
[[ $have_admesh == 1 ]] && run admesh-exact-1m admesh -e "$DATA/torus-1m.stl"

echo "== speed: shortlist and verification against $TEMPLATES templates, $QUERIES queries"
run shortlist "$SPEED" shortlist "$TEMPLATES" "$QUERIES"

{
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores."
  echo
  echo "| what | interdict wall / CPU / peak RSS | vs | other wall / CPU / peak RSS | wall ratio | CPU ratio |"
  echo "|---|---|---|---|---|---|"
  [[ $have_assimp == 1 ]] && row "10M-triangle STL: read + weld + body split" ingest-10m \
    "Assimp 5.2.5 raw import (no weld): \`assimp info -r\`" assimp-raw-10m
  [[ $have_admesh == 1 ]] && row "10M-triangle STL: read + weld + body split" ingest-10m \
    "admesh read only: \`admesh -c\`" admesh-read-10m
  [[ $have_admesh == 1 ]] && row "10M-triangle STL: read + weld + body split" ingest-10m \
    "admesh read + exact edge match: \`admesh -e\`" admesh-exact-10m
  [[ $have_assimp == 1 ]] && row "1M-triangle STL to descriptors + thumbnail, 2 threads" describe-1m-t2 \
    "Assimp import with its default post-processing (joins vertices): \`assimp info\`" assimp-info-1m
  [[ $have_admesh == 1 ]] && row "1M-triangle STL to descriptors + thumbnail, 2 threads" describe-1m-t2 \
    "\`admesh -e\`" admesh-exact-1m
  echo
  echo "Phases (interdict-mesh-speed prints wall, process CPU and peak RSS per phase):"
  echo
  echo '```'
  for label in ingest-10m describe-1m-t1 describe-1m-t2 profile-1m shortlist; do
    echo "\$ interdict-mesh-speed $label   ($(cat "$OUT_DIR/speed-$label.time" | awk '{print "wall " $1 " s, CPU " $2 " s, peak " $3 " MB"}'))"
    cat "$OUT_DIR/speed-$label.out"
  done
  for label in cli-describe-1m cli-describe-10m; do
    [[ -f "$OUT_DIR/speed-$label.time" ]] || continue
    echo "\$ interdict --in-process mesh describe ($label): $(awk '{print "wall " $1 " s, CPU " $2 " s, peak " $3 " MB"}' "$OUT_DIR/speed-$label.time")"
  done
  echo '```'
} > "$REPORT"
cat "$REPORT"
