#!/usr/bin/env bash
# Demo step: make the synthetic handset image ($DEMO_DIR/samples/handset.img): GPT with a boot image, ext4
# system, squashfs vendor and ext4 userdata holding a sparse image, archives, a damaged zip, synthetic
# indicators of the bundled YARA packs and the STL/OBJ files of samples/meshes. Same bytes on every run.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$DEMO_DIR/samples"
python3 "$here/samples/handset/make_handset_image.py" "$DEMO_DIR/samples/handset.img"
echo "samples: $DEMO_DIR/samples/handset.img ($(stat -c %s "$DEMO_DIR/samples/handset.img") bytes," \
  "sha256 $(sha256sum "$DEMO_DIR/samples/handset.img" | cut -c1-16)...)"
