#!/usr/bin/env bash
# USB imager benchmarks, each side by side with what a lab would otherwise run, on the same input:
#   1. file source, raw + MD5 + SHA-256:  interdict acquire  vs  dc3dd hash=md5 hash=sha256
#   2. E01, fast compression, MD5:        interdict acquire  vs  ewfacquire -c fast
#   3. emulated USB (interdict-sim):      interdict acquire  vs  a bare libusb READ(10) loop (usb_bare_read_loop)
# Usage: bench/usb_imager/run.sh BUILD_DIR OUT_DIR. Prints a Markdown section (figures with the command
# that made them; the median of BENCH_RUNS runs via hyperfine). Sizes: BENCH_FILE_MIB (default 512),
# BENCH_USB_MIB (default 128). BENCH_PARTS picks the pairs to run (default "file e01 usb").
set -euo pipefail
build=$(cd "$1" && pwd)
out=$2
runs=${BENCH_RUNS:-3}
file_mib=${BENCH_FILE_MIB:-512}
usb_mib=${BENCH_USB_MIB:-128}
mkdir -p "$out"
interdict=$build/bin/interdict
sim=$build/bin/interdict-sim
bare=$build/bin/usb_bare_read_loop

# Input: 1 MiB blocks alternating AES-CTR keystream (incompressible) and zeros, like a part-used handset.
make_input() {
  local path=$1 mib=$2
  [ -f "$path" ] && [ "$(stat -c %s "$path")" -eq $((mib * 1024 * 1024)) ] && return
  { openssl enc -aes-128-ctr -nosalt -pass pass:bench -pbkdf2 </dev/zero 2>/dev/null || true; } |
    head -c $((mib * 512 * 1024)) >"$path.random"
  python3 - "$path" "$path.random" "$mib" <<'PY'
import sys
out, rnd, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(rnd, 'rb') as r, open(out, 'wb') as o:
    for i in range(mib):
        o.write(r.read(1 << 20) if i % 2 == 0 else bytes(1 << 20))
PY
  rm -f "$path.random"
}
input=$out/input-${file_mib}m.img
usb_input=$out/usb-${usb_mib}m.img
parts=" ${BENCH_PARTS:-file e01 usb} "
[[ $parts == *" file "* || $parts == *" e01 "* ]] && make_input "$input" "$file_mib"
[[ $parts == *" usb "* ]] && make_input "$usb_input" "$usb_mib"

# median seconds of a hyperfine run: bench NAME PREPARE COMMAND
median() {
  local name=$1 prepare=$2 command=$3
  hyperfine --runs "$runs" --prepare "$prepare" --export-json "$out/$name.json" "$command" >/dev/null 2>&1
  python3 -c "import json,sys; print('%.2f' % json.load(open(sys.argv[1]))['results'][0]['median'])" "$out/$name.json"
}
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

w=$out/work
c1="$interdict --quiet acquire --source file:$input --out $w/i --format raw --hash md5,sha256"
c2="dc3dd if=$input of=$w/dc3dd.raw hash=md5 hash=sha256 log=$w/dc3dd.log"
c3="$interdict --quiet acquire --source file:$input --out $w/e --format e01 --compression fast --hash md5"
c4="ewfacquire -u -q -c fast -f encase6 -t $w/ewf/image $input"
c5="$sim --mass-storage $usb_input -- $interdict --quiet acquire --source usb:3412:cdab --out $w/u --format raw --hash md5,sha256"
c6="$sim --mass-storage $usb_input -- $bare 3412 cdab"
prep="rm -rf $w && mkdir -p $w/ewf"
rows=""
commands=""
if [[ $parts == *" file "* ]]; then
  t1=$(median file-interdict "$prep" "$c1")
  t2=$(median file-dc3dd "$prep" "$c2")
  rows+="| File source, raw + MD5 + SHA-256, ${file_mib} MiB | ${t1} s ($(rate "$file_mib" "$t1") MiB/s) | dc3dd: ${t2} s ($(rate "$file_mib" "$t2") MiB/s) | $(ratio "$t1" "$t2") |"$'\n'
  commands+="- interdict, file: \`$c1\`"$'\n'"- dc3dd: \`$c2\`"$'\n'
fi
if [[ $parts == *" e01 "* ]]; then
  t3=$(median e01-interdict "$prep" "$c3")
  t4=$(median e01-ewfacquire "$prep" "$c4")
  rows+="| E01 fast compression + MD5, ${file_mib} MiB | ${t3} s ($(rate "$file_mib" "$t3") MiB/s) | ewfacquire -c fast: ${t4} s ($(rate "$file_mib" "$t4") MiB/s) | $(ratio "$t3" "$t4") |"$'\n'
  commands+="- interdict, E01: \`$c3\`"$'\n'"- ewfacquire: \`$c4\`"$'\n'
fi
if [[ $parts == *" usb "* ]]; then
  t5=$(median usb-interdict "$prep" "$c5")
  t6=$(median usb-bare "$prep" "$c6")
  rows+="| Emulated USB (umockdev), raw + MD5 + SHA-256, ${usb_mib} MiB | ${t5} s ($(rate "$usb_mib" "$t5") MiB/s) | bare libusb loop, no hashing: ${t6} s ($(rate "$usb_mib" "$t6") MiB/s) | $(ratio "$t5" "$t6") |"$'\n'
  commands+="- interdict, emulated USB: \`$c5\`"$'\n'"- bare libusb loop: \`$c6\`"$'\n'
fi
rm -rf "$w"

cat <<MD
## USB imager ($(nproc) cores, median of $runs runs, hyperfine)

| What | interdict | Reference | interdict / reference (time) |
|---|---|---|---|
${rows}
Input: 1 MiB blocks alternating AES-CTR keystream and zeros. Commands:

${commands}
MD
