#!/usr/bin/env bash
# Reading through `dimg mount` (FUSE) compared with fuseiso and with reading the
# image file itself.
#
#   sequential read: cat MNT/<every large file>  via dimg mount, via fuseiso,
#                    and cat IMAGE (the same bytes straight from the page cache)
#     targets: dimg >= 2x fuseiso, and dimg >= 70% of the direct read
#   walk:            find MNT -printf '%s %T@\n' over the BENCH_FILES-entry image
#     target:  dimg >= 3x fuseiso (fresh mounts); the same on warm mounts is shown
#     for information (then the kernel's dentry and attribute caches answer)
#
# The image is in the page cache before timing (and warm-up runs follow).  Every
# run starts on fresh mounts (unmounted and mounted again, not timed), so the
# kernel's page cache of the mounted files -- dimg asks the kernel to keep it --
# and its dentry cache never answer for the file system being measured.
#
# Inputs: the large set of iso_read_large.sh (BENCH_DIR/large-*.iso with its
# src/) when it is there, else BENCH_MOUNT_FILES files of BENCH_MOUNT_GIB GiB
# (default 2 x 1 GiB) generated the same way; the small-file image of
# iso_read_small.sh (BENCH_FILES entries).  Needs fuse3 (fusermount3) and /dev/fuse;
# installs Debian's fuseiso when it is missing and we are root.

# Internal: the untimed step before every run, `mount_read.sh --remount DIMG
# IMAGE DIMG_MNT FUSEISO_MNT`: unmount both (if mounted) and mount them again.
if [[ "${1:-}" == --remount ]]; then
	set -euo pipefail
	dimg_bin=$2 iso=$3 dm=$4 fm=$5
	for m in "$dm" "$fm"; do
		if grep -qF " $m " /proc/self/mountinfo; then
			fusermount3 -u "$m" 2>/dev/null || fusermount3 -u -z "$m"
		fi
	done
	"$dimg_bin" mount "$iso" "$dm"
	fuseiso -n "$iso" "$fm" >/dev/null
	exit 0
fi

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

: "${BENCH_MOUNT_FILES:=2}"         # generated large files (when no large set exists)
: "${BENCH_MOUNT_GIB:=1}"           # their size in GiB
: "${BENCH_MOUNT_RUNS:=5}"          # timed runs of the sequential reads
: "${BENCH_MOUNT_FIND_RUNS:=7}"     # timed runs of the walks

if ! command -v fuseiso >/dev/null 2>&1; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		log "installing fuseiso (Debian package)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q fuseiso >/dev/null ||
			{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fuseiso >/dev/null; }
	fi
fi
need_tools fuseiso fusermount3 xorriso openssl cmp find
[[ -r /dev/fuse && -w /dev/fuse ]] || die "/dev/fuse is not usable"
have_dimg || die "no dimg binary at $DIMG (build it first)"

MNT_ROOT=$(mktemp -d /tmp/dimg-bench-mnt.XXXXXX)
DM=$MNT_ROOT/dimg FM=$MNT_ROOT/fuseiso DMS=$MNT_ROOT/dimg-small FMS=$MNT_ROOT/fuseiso-small
mkdir -p "$DM" "$FM" "$DMS" "$FMS"
unmount_all() {
	local m
	for m in "$DM" "$FM" "$DMS" "$FMS"; do
		if grep -qF " $m " /proc/self/mountinfo; then
			fusermount3 -u "$m" 2>/dev/null || fusermount3 -u -z "$m" || true
		fi
	done
}
on_exit() {
	unmount_all
	rmdir "$DM" "$FM" "$DMS" "$FMS" "$MNT_ROOT" 2>/dev/null || true
	cleanup_out
}
trap on_exit EXIT

# ---- inputs -------------------------------------------------------------------
ISO='' SRC=''
for cand in "$BENCH_DIR"/large-*.iso; do
	if [[ -f "$cand" && -f "$cand.ok" && -f "${cand%.iso}/src/.complete" ]]; then
		ISO=$cand SRC=${cand%.iso}/src
		break
	fi
done
if [[ -z "$ISO" ]]; then
	NF=$BENCH_MOUNT_FILES GIB=$BENCH_MOUNT_GIB
	BYTES=$(awk -v g="$GIB" 'BEGIN { printf "%d", g * 1073741824 }')
	BASE="$BENCH_DIR/mount-${NF}x${GIB}g-seed$BENCH_SEED"
	SRC="$BASE/src" ISO="$BASE.iso"
	[[ -f "$SRC/.complete" ]] || rm -f "$ISO" "$ISO.ok"
	gen_large_set "$SRC" "$NF" "$BYTES"
	build_iso "$SRC" "$ISO" -iso-level 3
fi
FILES=()
for f in "$SRC"/big*.bin; do FILES+=("$(basename "$f")"); done
((${#FILES[@]} > 0)) || die "no big*.bin in $SRC"
DATA_BYTES=$(cd "$SRC" && stat -c %s "${FILES[@]}" | awk '{ s += $1 } END { printf "%d\n", s }')
ISO_BYTES=$(stat -c %s "$ISO")

ensure_small "$BENCH_FILES"
SMALL_ISO=$(small_iso "$BENCH_FILES")
SMALL_TREE=$(small_tree "$BENCH_FILES")

avail_kib=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
((avail_kib > 2 * ISO_BYTES / 1024 + 1048576)) ||
	log "warning: only $((avail_kib / 1024)) MiB of memory available; the image may not stay cached"
log "image: $ISO ($((ISO_BYTES >> 20)) MiB; files ${FILES[*]}); warming the page cache"
warm "$ISO" "$SMALL_ISO"

# ---- sequential read ------------------------------------------------------------
REMOUNT="bash $(q "$BENCH_SRC/mount_read.sh") --remount $(q "$DIMG") $(q "$ISO") $(q "$DM") $(q "$FM")"
D_CAT="cat" F_CAT="cat"
for f in "${FILES[@]}"; do D_CAT+=" $(q "$DM/$f")"; F_CAT+=" $(q "$FM/$f")"; done
time_group "$REMOUNT" "$BENCH_MOUNT_RUNS" \
	mount_read_dimg "cat MNT/files (dimg mount)" "$D_CAT" \
	mount_read_fuseiso "cat MNT/files (fuseiso)" "$F_CAT" \
	mount_read_direct "cat IMAGE (no FUSE)" "cat $(q "$ISO")"

if [[ "$BENCH_VERIFY" == 1 ]]; then
	bash -c "$REMOUNT"
	for name in dimg fuseiso; do
		mnt=$DM
		[[ $name == fuseiso ]] && mnt=$FM
		for f in "${FILES[@]}"; do
			if ! cmp -s "$mnt/$f" "$SRC/$f"; then
				mark_bad "mount_read_$name" "$f read through $name differs from the source"
			fi
		done
	done
	log "  verified: every file read through both mounts equals its source"
fi
# the same reads again on the mounts just read (information): dimg's files are
# then in the kernel's page cache, fuseiso's are read through it again
bash -c "$REMOUNT"
warm "${FILES[@]/#/$DM/}" "${FILES[@]/#/$FM/}"
time_group "" "$BENCH_MOUNT_RUNS" \
	mount_read_dimg_warm "cat MNT/files (dimg mount, warm)" "$D_CAT" \
	mount_read_fuseiso_warm "cat MNT/files (fuseiso, warm)" "$F_CAT"
unmount_all

report time --title "FUSE mount, sequential read of ${#FILES[@]} files ($((DATA_BYTES >> 20)) MiB)" \
	--base mount_read_dimg --row mount_read_fuseiso:2 --row mount_read_direct:0.7
"$BENCH_PY" - "$RES_DIR" "$DATA_BYTES" "$ISO_BYTES" <<'EOF'
import json, os, sys
res, data, iso = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print("throughput (median): ", end="")
out = []
for name, n in (("mount_read_dimg", data), ("mount_read_fuseiso", data), ("mount_read_direct", iso)):
    try:
        with open(os.path.join(res, name + ".json")) as f:
            med = json.load(f)["results"][0]["median"]
        out.append("%s %.0f MiB/s" % (name[len("mount_read_"):], n / med / 2**20))
    except (OSError, ValueError, KeyError):
        out.append("%s -" % name[len("mount_read_"):])
print(", ".join(out))
EOF
report time --title "FUSE mount, the same reads on warm mounts (information)" \
	--base mount_read_dimg_warm --row mount_read_fuseiso_warm

# ---- walk -----------------------------------------------------------------------
REMOUNT_SMALL="bash $(q "$BENCH_SRC/mount_read.sh") --remount $(q "$DIMG") $(q "$SMALL_ISO") $(q "$DMS") $(q "$FMS")"
FIND_FMT='%s %T@\n'
time_group "$REMOUNT_SMALL" "$BENCH_MOUNT_FIND_RUNS" \
	mount_find_dimg "find MNT -printf (dimg mount, fresh)" "find $(q "$DMS") -printf $(q "$FIND_FMT")" \
	mount_find_fuseiso "find MNT -printf (fuseiso, fresh)" "find $(q "$FMS") -printf $(q "$FIND_FMT")"
bash -c "$REMOUNT_SMALL"
time_group "" "$BENCH_MOUNT_FIND_RUNS" \
	mount_find_dimg_warm "find MNT -printf (dimg mount, warm)" "find $(q "$DMS") -printf $(q "$FIND_FMT")" \
	mount_find_fuseiso_warm "find MNT -printf (fuseiso, warm)" "find $(q "$FMS") -printf $(q "$FIND_FMT")"

if [[ "$BENCH_VERIFY" == 1 ]]; then
	# dimg: the same file names and sizes as the source tree (directory sizes differ
	# between file systems) and as many entries; fuseiso: as many entries
	nsrc=$(cd "$SMALL_TREE" && find . -mindepth 1 ! -name .complete | wc -l)
	nd=$(find "$DMS" -mindepth 1 | wc -l)
	nf=$(find "$FMS" -mindepth 1 | wc -l)
	want=$(cd "$SMALL_TREE" && find . -type f ! -name .complete -printf '%P %s\n' | sort | md5sum)
	got=$(find "$DMS" -type f -printf '%P %s\n' | sort | md5sum)
	[[ "$want" == "$got" ]] || mark_bad mount_find_dimg "file names or sizes differ from the source tree"
	((nd == nsrc)) || mark_bad mount_find_dimg "$nd entries, the source tree has $nsrc"
	((nf == nsrc)) || mark_bad mount_find_fuseiso "$nf entries, the source tree has $nsrc"
	log "  verified: dimg lists $nd entries, fuseiso $nf, the source tree $nsrc"
fi
unmount_all

report time --title "FUSE mount, find -printf '%s %T@' over $BENCH_FILES files (fresh mounts)" \
	--base mount_find_dimg --row mount_find_fuseiso:3
report time --title "FUSE mount, the same find on warm mounts (information)" \
	--base mount_find_dimg_warm --row mount_find_fuseiso_warm
