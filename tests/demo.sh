#!/bin/sh
# The main job on bundled sample input: inspect, list, read and extract
# examples/sample.iso.xz (recipe: examples/make-sample.sh), then the same
# image as a raw CD (BIN/CUE): convert, verify, hash, list, convert back.
set -e
dimg=${1:-build/dimg}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
xz -dc examples/sample.iso.xz > "$work/sample.iso"
set -x
"$dimg" info "$work/sample.iso"
"$dimg" ls -lR "$work/sample.iso"
"$dimg" cat "$work/sample.iso" /README.txt
"$dimg" extract -C "$work/out" "$work/sample.iso"
{ set +x; } 2>/dev/null
echo "extracted tree:"
(cd "$work/out" && find . | sort)
sh "$work/out/bin/hello.sh"
set -x
# the same image as a raw CD: Mode 1 sectors with EDC/ECC, checked, hashed,
# listed through the cue sheet and converted back
"$dimg" convert "$work/sample.iso" "$work/sample.cue"
"$dimg" info "$work/sample.cue"
"$dimg" verify "$work/sample.cue"
"$dimg" hash --per-track "$work/sample.cue"
"$dimg" ls "$work/sample.cue"
"$dimg" convert "$work/sample.cue" "$work/back.iso"
cmp "$work/sample.iso" "$work/back.iso"
{ set +x; } 2>/dev/null
echo "demo: ok"
