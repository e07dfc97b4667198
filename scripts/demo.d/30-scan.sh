#!/usr/bin/env bash
# Demo step: unpack the handset image layer by layer and match every layer against the bundled, signed
# YARA packs, in a sandboxed worker. Scans the raw image the acquisition left in the case if there is one,
# else the generated sample; records the job, its findings and extracted files into the case when the
# case exists. JSON Lines go to $DEMO_DIR/scan.jsonl.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
input=""
if [ -d "$CASE_DIR/acquisitions" ]; then
  input=$(find "$CASE_DIR/acquisitions" -type f \( -name '*.img' -o -name '*.raw' -o -name '*.dd' \) | sort | head -n 1)
fi
[ -n "$input" ] || input=$DEMO_DIR/samples/handset.img
packs=()
for pack in "$here"/signatures/yara/*/; do
  [ -f "$pack/pack.json" ] && packs+=(--rules "${pack%/}")
done
case_args=()
[ -f "$CASE_DIR/case.db" ] && case_args=(--case "$CASE_DIR")
rc=0
"$INTERDICT" --json scan "$input" "${packs[@]}" "${case_args[@]}" >"$DEMO_DIR/scan.jsonl" || rc=$?
# 1 = findings (expected on the sample), 5 = finished with a recorded limit or damaged container.
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || [ "$rc" -eq 5 ] || exit "$rc"
echo "scan: $(grep -c '"kind":"yara-match"' "$DEMO_DIR/scan.jsonl") YARA matches," \
  "$(grep -c '"kind":"corruption"' "$DEMO_DIR/scan.jsonl") damaged container(s) recorded; $DEMO_DIR/scan.jsonl"
