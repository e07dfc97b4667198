#!/usr/bin/env bash
# Firmware scanner benchmark: bench/firmware_scan/run.sh BUILD_DIR OUT_DIR
#  1. YARA matching alone: `interdict scan --max-depth 0` (no unpacking) against the `yara` CLI with the
#     same rule files and namespaces on the same corpus, 1 and 2 threads.
#  2. Unpack + scan of the synthetic handset image against `binwalk` signature scanning of it.
# Prints a Markdown section; every figure comes with the command that made it (hyperfine, 3 runs).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$(cd "${1:-$here/build}" && pwd)
out_dir=${2:-$here/out/bench/firmware_scan}
mkdir -p "$out_dir"
interdict="$build_dir/bin/interdict"
corpus=$out_dir/corpus
image=$out_dir/handset.img
# Corpus: 48 x 4 MiB files, half system binaries (ELF text), half pseudo-random (encrypted-like).
if [ ! -d "$corpus" ]; then
  mkdir -p "$corpus"
  find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name '*.so*' -type f -size +1M | sort | head -n 60 |
    xargs cat 2>/dev/null | head -c $((96 * 1024 * 1024)) | split -b 4M -d -a 3 - "$corpus/elf-" || true
  openssl enc -aes-128-ctr -nosalt -pass pass:interdict-bench -pbkdf2 </dev/zero 2>/dev/null |
    head -c $((96 * 1024 * 1024)) | split -b 4M -d -a 3 - "$corpus/random-" || true
fi
[ -f "$image" ] || python3 "$here/samples/handset/make_handset_image.py" "$image"
corpus_mb=$(du -sm --apparent-size "$corpus" | cut -f1)
image_mb=$(( $(stat -c %s "$image") / 1024 / 1024 ))

packs=(); yara_rules=()
for pack in "$here"/signatures/yara/*/; do
  [ -f "$pack/pack.json" ] || continue
  name=$(basename "$pack")
  packs+=(--rules "${pack%/}")
  for f in "$pack"rules/*.yar; do yara_rules+=("$name/$(basename "$f"):$f"); done
done
cache=$out_dir/rule-cache
"$interdict" --in-process scan --cache-dir "$cache" "${packs[@]}" "$image" >/dev/null || true  # warm the cache

run() {  # run NAME COMMAND...: mean seconds over 3 runs
  hyperfine --style none --runs 3 --warmup 1 -i --export-json "$out_dir/$1.json" -- "${*:2}" >/dev/null 2>&1
  python3 -c "import json,sys; print('%.2f' % json.load(open(sys.argv[1]))['results'][0]['mean'])" "$out_dir/$1.json"
}
q() { printf '%q ' "$@"; }

ours1="$(q "$interdict") --in-process scan --max-depth 0 --threads 1 --cache-dir $(q "$cache") $(q "${packs[@]}") $corpus/*"
ours2="$(q "$interdict") --in-process scan --max-depth 0 --threads 2 --cache-dir $(q "$cache") $(q "${packs[@]}") $corpus/*"
yara1="yara -w -p 1 $(q "${yara_rules[@]}") $(q "$corpus")"
yara2="yara -w -p 2 $(q "${yara_rules[@]}") $(q "$corpus")"
unpack="$(q "$interdict") --in-process scan --cache-dir $(q "$cache") $(q "${packs[@]}") $(q "$image")"
binwalk_cmd="binwalk -q -f /dev/null $(q "$image")"

t_ours1=$(run ours1 "$ours1"); t_ours2=$(run ours2 "$ours2")
t_yara1=$(run yara1 "$yara1"); t_yara2=$(run yara2 "$yara2")
t_unpack=$(run unpack "$unpack"); t_binwalk=$(run binwalk "$binwalk_cmd")
mbps() { python3 -c "print('%.0f' % ($1 / $2))"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

cat <<MD
## Firmware scanner (bench/firmware_scan/run.sh)
Corpus: ${corpus_mb} MiB in 4 MiB files (half shared libraries, half AES-CTR keystream); rules: the
bundled packs ($(echo "${yara_rules[@]}" | wc -w) rule files); image: the ${image_mb} MiB synthetic handset image.
Mean of 3 runs (hyperfine, 1 warm-up), $(nproc) cores, libyara $(yara --version).

| What | interdict | yara CLI / binwalk | interdict : other |
|---|---|---|---|
| YARA only, 1 thread | ${t_ours1} s ($(mbps "$corpus_mb" "$t_ours1") MiB/s) | ${t_yara1} s ($(mbps "$corpus_mb" "$t_yara1") MiB/s) | $(ratio "$t_yara1" "$t_ours1")x |
| YARA only, 2 threads | ${t_ours2} s ($(mbps "$corpus_mb" "$t_ours2") MiB/s) | ${t_yara2} s ($(mbps "$corpus_mb" "$t_yara2") MiB/s) | $(ratio "$t_yara2" "$t_ours2")x |
| 2 threads vs 1 | $(ratio "$t_ours1" "$t_ours2")x | $(ratio "$t_yara1" "$t_yara2")x | |
| Handset image: unpack every layer + scan vs binwalk signature scan | ${t_unpack} s | ${t_binwalk} s | $(ratio "$t_binwalk" "$t_unpack")x |

Commands:
- interdict, 1 thread: \`interdict --in-process scan --max-depth 0 --threads 1 --rules signatures/yara/<each pack> CORPUS/*\`
- interdict, 2 threads: same with \`--threads 2\`
- yara CLI: \`yara -w -p 1|2 <pack>/<file>.yar:signatures/yara/<pack>/rules/<file>.yar ... CORPUS\`
- unpack + scan: \`interdict --in-process scan --rules signatures/yara/<each pack> handset.img\`
- binwalk: \`binwalk -q -f /dev/null handset.img\`
MD
