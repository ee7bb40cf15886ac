#!/bin/sh
# Installs every Debian package needed to build dimg and run its tests,
# including the oracle tools the tests compare against.  Does nothing for
# packages already present; needs root (or prints what to install).
set -e
PKGS="build-essential meson ninja-build pkg-config zlib1g-dev libssl-dev libcmocka-dev
python3 python3-pytest xz-utils xorriso genisoimage libarchive-tools 7zip libcdio-utils
python3-pycdlib clang libclang-rt-14-dev libfuse3-dev fuse3 isolinux syslinux-common
grub-efi-amd64-bin mtools dosfstools ovmf qemu-system-x86 mame-tools bchunk cdrdao sox
libflac-dev flac"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "dimg: missing packages:$missing" >&2
	echo "dimg: run as root: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
