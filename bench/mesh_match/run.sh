#!/usr/bin/env bash
# Mesh analyser benchmark: accuracy per variant (stand-in templates, fixed seeds) with the score table used
# to calibrate the thresholds. Usage: bench/mesh_match/run.sh BUILD_DIR OUT_DIR
set -euo pipefail
BUILD_DIR=${1:?build dir}
OUT_DIR=${2:?output dir}
mkdir -p "$OUT_DIR"
TOOL="$BUILD_DIR/bin/interdict-mesh-accuracy"
echo "== accuracy: 24 templates, 10 queries per variant, seed 1"
/usr/bin/time -v "$TOOL" --templates 24 --queries 10 --seed 1 --scores "$OUT_DIR/mesh-scores.csv" \
  2> "$OUT_DIR/mesh-accuracy.time" | tee "$OUT_DIR/mesh-accuracy.md"
grep -E "Elapsed|Maximum resident" "$OUT_DIR/mesh-accuracy.time" || true
