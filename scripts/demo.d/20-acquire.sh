#!/usr/bin/env bash
# Demo step: acquire the synthetic handset over the emulated USB link (interdict-sim, umockdev) into the
# case as an E01 (Expert Witness) image with the case metadata, verifying both ways (re-read the device,
# read the image back). The analysis step that follows decodes the E01 in the sandboxed scanner, checks the
# MD5 stored in it, and unpacks the media inside, as labs do with the E01s they keep.
set -euo pipefail
image=$DEMO_DIR/samples/handset.img
if [ ! -f "$image" ]; then
  # No generated handset yet: make a small deterministic one (16 MiB of AES-CTR keystream).
  mkdir -p "$DEMO_DIR/samples"
  { openssl enc -aes-128-ctr -nosalt -pass pass:interdict-demo -pbkdf2 </dev/zero 2>/dev/null || true; } |
    head -c $((16 * 1024 * 1024)) >"$image"
fi
# The emulated device serves whole 512-byte sectors: pad a copy if the image is not a multiple.
size=$(stat -c %s "$image")
device=$image
if [ $((size % 512)) -ne 0 ]; then
  device=$DEMO_DIR/handset-device.img
  cp "$image" "$device"
  truncate -s $(((size + 511) / 512 * 512)) "$device"
fi
if [ -f "$CASE_DIR/case.db" ]; then
  target=(--case "$CASE_DIR")
else
  target=(--out "$DEMO_DIR/acquisition")
fi
"$BUILD_DIR/bin/interdict-sim" --mass-storage "$device" -- \
  "$INTERDICT" acquire --source usb:3412:cdab "${target[@]}" --format e01 --verify \
  --case-number DEMO-001 --evidence-number HANDSET-1 --examiner "Demo Examiner" \
  --description "synthetic handset, acquired over emulated USB mass storage"
