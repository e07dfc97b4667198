#!/usr/bin/env bash
# The case store's costs: findings per second (single vs batched transactions), and storing / verifying a
# large evidence file with `interdict case add` / `interdict case verify` next to what an examiner would
# otherwise run (cp + md5sum + sha1sum + sha256sum; sha256sum alone).
# Usage: bench/case/run.sh BUILD_DIR OUT_DIR      Environment: SIZE_MIB (default 512), FINDINGS (default 2000).
set -euo pipefail
build_dir=$(cd "${1:-build}" && pwd)
out_dir=${2:-/tmp/interdict-bench-case}
mkdir -p "$out_dir"
interdict=$build_dir/bin/interdict
size_mib=${SIZE_MIB:-512}
findings=${FINDINGS:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

"$build_dir/bin/case_store_rate" "$work/rate-case" "$findings" 256 >"$out_dir/rate.tsv"
value() { awk -v k="$1" '$1 == k {print $2}' "$out_dir/rate.tsv"; }

head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$work/evidence.bin"
sync
"$interdict" --quiet case init "$work/case" --case-number bench --examiner bench >/dev/null
t0=$(now); "$interdict" --quiet case add "$work/case" "$work/evidence.bin" >/dev/null; t1=$(now)
add_s=$(elapsed "$t0" "$t1")
t0=$(now); cp "$work/evidence.bin" "$work/copy.bin" && sync "$work/copy.bin" && md5sum "$work/copy.bin" >/dev/null &&
  sha1sum "$work/copy.bin" >/dev/null && sha256sum "$work/copy.bin" >/dev/null; t1=$(now)
baseline_add_s=$(elapsed "$t0" "$t1")
t0=$(now); "$interdict" --quiet case verify "$work/case" >/dev/null; t1=$(now)
verify_s=$(elapsed "$t0" "$t1")
t0=$(now); sha256sum "$work/evidence.bin" >/dev/null; t1=$(now)
sha256_s=$(elapsed "$t0" "$t1")
t0=$(now); md5sum "$work/evidence.bin" >/dev/null; sha1sum "$work/evidence.bin" >/dev/null
sha256sum "$work/evidence.bin" >/dev/null; t1=$(now)
three_s=$(elapsed "$t0" "$t1")

cat <<MD
## Case store

Findings into a case (\`$build_dir/bin/case_store_rate CASE_DIR $findings 256\`; WAL, synchronous=FULL):

| how | findings | seconds | findings/s |
|---|---|---|---|
| \`AddFinding\`, one transaction each | $findings | $(value single_s) | $(value single_per_s) |
| \`AddFindings\`, batches of 256 (as RecordJobIntoCase) | $findings | $(value batched_s) | $(value batched_per_s) |
| \`Verify\` of the resulting chain ($(value audit_records) records) | | $(value verify_s) | |

A ${size_mib} MiB random file (\`bench/case/run.sh\`):

| task | interdict | seconds | side by side | seconds |
|---|---|---|---|---|
| store as evidence with MD5+SHA-1+SHA-256 | \`interdict case add\` | $add_s | \`cp\` + \`sync\` + \`md5sum\` + \`sha1sum\` + \`sha256sum\` | $baseline_add_s |
| check it again | \`interdict case verify\` (3 digests, one pass) | $verify_s | \`sha256sum\` alone / all three tools | $sha256_s / $three_s |
MD
