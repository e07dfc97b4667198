#!/usr/bin/env bash
# After acquisition: every applicable plugin over every evidence item of the case, and recursively over
# what they extract (an STL inside the handset image is matched without anyone asking), through a SQLite
# queue inside the case folder and two local workers, until nothing is left to do.
set -euo pipefail
plugins=()
for id in org.interdict.firmware_scan org.interdict.mesh_match; do
  "$INTERDICT" plugins list 2>/dev/null | grep -q "$id" && plugins+=("$id")
done
args=(analyze "$CASE_DIR" --concurrency 2)
[ ${#plugins[@]} -gt 0 ] && args+=(--plugins "$(IFS=,; echo "${plugins[*]}")")
rc=0
"$INTERDICT" "${args[@]}" || rc=$?
# 5 = finished, but some input was quarantined (listed above, and in the report): the demo goes on.
[ "$rc" -eq 0 ] || [ "$rc" -eq 5 ] || exit "$rc"
"$INTERDICT" queue --queue "sqlite:$CASE_DIR/queue.db" status
