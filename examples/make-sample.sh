#!/bin/sh
# Recipe of examples/sample.iso.xz (the demo's input): a small Rock Ridge +
# Joliet image with a symlink, a Unicode name and an executable script, made
# reproducibly by xorriso from Debian 12.
set -e
out=${1:-sample.iso}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tree/docs/guides" "$tmp/tree/bin"
printf 'dimg sample image\nMade by examples/make-sample.sh\n' > "$tmp/tree/README.txt"
printf '#!/bin/sh\necho hello from the sample image\n' > "$tmp/tree/bin/hello.sh"
chmod 755 "$tmp/tree/bin/hello.sh"
printf 'Guide\n' > "$tmp/tree/docs/guides/intro.md"
name=$(printf '\303\234n\303\257c\303\266d\303\251 file name.txt')
printf 'Gr\303\274\303\237e\n' > "$tmp/tree/docs/$name"
ln -s docs/guides/intro.md "$tmp/tree/intro-link"
find "$tmp/tree" -exec touch -h -d '2024-01-02 03:04:05 UTC' {} +
SOURCE_DATE_EPOCH=1704164645 xorriso -as mkisofs -quiet -R -J -V DIMG_SAMPLE \
	-o "$out" "$tmp/tree"
