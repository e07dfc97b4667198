#!/usr/bin/env bash
# Checks a case directory with standard tools only (sqlite3, jq, sha256sum, openssl, xxd), without any
# interdict code: the audit chain, every seal and every artifact. docs/case-store.md explains each step.
# Usage: check_case_independently.sh CASE_DIR     Exit 0 when everything verifies, 1 otherwise.
set -euo pipefail
case_dir=$1
db="$case_dir/case.db"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
problems=0
problem() { echo "BROKEN: $*"; problems=$((problems + 1)); }

# 1. The audit chain: entry_hash = sha256(prev_hash "\n" canonical({seq,time_utc,actor,action,details})),
#    canonical = compact JSON with sorted keys (jq -cS), prev_hash of seq 1 = 64 zeros.
expected_prev=$(printf '0%.0s' $(seq 64))
expected_seq=1
declare -A entry_hash_at
while read -r row; do
  seq_no=$(jq -r .seq <<<"$row")
  prev=$(jq -r .prev_hash <<<"$row")
  stored=$(jq -r .entry_hash <<<"$row")
  [ "$seq_no" = "$expected_seq" ] || problem "audit seq $seq_no: expected seq $expected_seq"
  [ "$prev" = "$expected_prev" ] || problem "audit seq $seq_no: prev_hash does not link to the record before"
  entry=$(jq -cS '{seq, time_utc, actor, action, details: (.details_json | fromjson)}' <<<"$row")
  computed=$(printf '%s\n%s' "$prev" "$entry" | sha256sum | cut -d' ' -f1)
  [ "$computed" = "$stored" ] || problem "audit seq $seq_no: entry_hash does not match its contents"
  entry_hash_at[$seq_no]=$stored
  expected_prev=$stored
  expected_seq=$((seq_no + 1))
done < <(sqlite3 -json "$db" "SELECT seq, time_utc, actor, action, details_json, prev_hash, entry_hash
                             FROM audit ORDER BY seq" | jq -c '.[]?')
echo "audit: $((expected_seq - 1)) records, head ${expected_prev}"

# 2. Seals: Ed25519 over "interdict-audit-seal/1\ncase_uuid=..\nseq=..\nhead_hash=..\ntime_utc=..\n",
#    and head_hash must equal the chain's entry_hash at that seq.
case_uuid=$(sqlite3 "$db" "SELECT value FROM case_info WHERE key = 'case_uuid'")
seals=0
while read -r seal; do
  id=$(jq -r .id <<<"$seal"); seal_seq=$(jq -r .seq <<<"$seal"); head=$(jq -r .head_hash <<<"$seal")
  time_utc=$(jq -r .time_utc <<<"$seal")
  printf 'interdict-audit-seal/1\ncase_uuid=%s\nseq=%s\nhead_hash=%s\ntime_utc=%s\n' \
    "$case_uuid" "$seal_seq" "$head" "$time_utc" > "$work/message"
  # A raw 32-byte Ed25519 key becomes a DER SubjectPublicKeyInfo by prefixing the fixed header.
  { printf '302a300506032b6570032100'; jq -r .public_key <<<"$seal"; } | xxd -r -p > "$work/key.der"
  jq -r .signature <<<"$seal" | xxd -r -p > "$work/signature"
  openssl pkeyutl -verify -pubin -inkey "$work/key.der" -keyform DER -rawin -in "$work/message" \
    -sigfile "$work/signature" > /dev/null 2>&1 || problem "seal $id: signature does not verify"
  [ "${entry_hash_at[$seal_seq]:-}" = "$head" ] || problem "seal $id: does not match the chain at seq $seal_seq"
  seals=$((seals + 1))
done < <(sqlite3 -json "$db" "SELECT id, seq, head_hash, public_key, signature, time_utc
                             FROM audit_seals ORDER BY id" | jq -c '.[]?')
echo "seals: $seals"

# 3. Artifacts: artifacts/<sha256[0:2]>/<sha256[2:4]>/<sha256> must hash to its own name.
artifacts=0
while read -r sha; do
  file="$case_dir/artifacts/${sha:0:2}/${sha:2:2}/$sha"
  if [ ! -f "$file" ]; then
    problem "artifact $sha: missing"
  elif [ "$(sha256sum < "$file" | cut -d' ' -f1)" != "$sha" ]; then
    problem "artifact $sha: content hash differs"
  fi
  artifacts=$((artifacts + 1))
done < <(sqlite3 "$db" "SELECT sha256 FROM artifacts ORDER BY sha256")
echo "artifacts: $artifacts"

[ "$problems" -eq 0 ] && echo "verified" && exit 0
exit 1
