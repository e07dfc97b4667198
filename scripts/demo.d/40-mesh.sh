#!/usr/bin/env bash
# Match the 3D models of the demo against the signed stand-in template pack: the meshes the scan step
# extracted into $DEMO_DIR (any *.stl/*.obj/*.3mf/*.ply below it), or samples/meshes/* when there are none.
# Each file is a sandboxed plugin job recorded into $CASE_DIR (findings, thumbnails, overlays).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
pack="$root/signatures/meshes/standin-parts"
mapfile -t models < <(find "$DEMO_DIR" -path "$CASE_DIR" -prune -o -type f \
  \( -iname '*.stl' -o -iname '*.obj' -o -iname '*.3mf' -o -iname '*.ply' \) -print | sort)
if [ ${#models[@]} -eq 0 ]; then
  mapfile -t models < <(find "$root/samples/meshes" -type f | sort)
fi
echo "matching ${#models[@]} model file(s) against $(basename "$pack")"
"$INTERDICT" templates verify "$pack"
case_args=()
[ -f "$CASE_DIR/case.db" ] && case_args=(--case "$CASE_DIR")
# Exit 1 means "matches found", 5 "some input was damaged": both are results, not failures of the step.
rc=0
"$INTERDICT" --plugin-dir "$BUILD_DIR/plugins" mesh match "${models[@]}" --templates "$pack" "${case_args[@]}" || rc=$?
case $rc in 0|1|5) exit 0 ;; *) exit "$rc" ;; esac
