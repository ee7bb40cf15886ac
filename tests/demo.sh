#!/bin/sh
# The main job on bundled sample input: inspect, list, read and extract
# examples/sample.iso.xz (recipe: examples/make-sample.sh).
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
echo "demo: ok"
