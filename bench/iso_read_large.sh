#!/usr/bin/env bash
# Extraction throughput on an ISO holding a few multi-GiB files.
#
#   dimg extract -C out IMAGE  vs  cp SRC/* out/   (the same files)
#   target: ratio median(cp) / median(dimg) >= 0.9, i.e. dimg within 10% of cp
#
# Both inputs (the image for dimg, the source files for cp) are read into the
# page cache before timing, so this measures how efficiently the bytes are
# moved, not the disk.  Both write to BENCH_OUT_DIR (a tmpfs by default),
# emptied before every run (not timed).
#
# Space: the source files and the image stay in BENCH_DIR (2 x the set), one
# extracted copy exists at a time in BENCH_OUT_DIR.  With the defaults that is
# 9 GiB of disk and 4.5 GiB of tmpfs, or 11.25 GiB of disk (files of 1.25 GiB)
# when the output is on the same file system; the script refuses to start
# when the disk peak would exceed BENCH_MAX_DISK_GIB.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

need_tools hyperfine xorriso openssl cmp

NF=$BENCH_LARGE_FILES
GIB=$BENCH_LARGE_GIB
BYTES=$(awk -v g="$GIB" 'BEGIN { printf "%d", g * 1073741824 }')
copies=2
out_on_bench_fs && copies=3
PEAK_GIB=$(awk -v c="$copies" -v n="$NF" -v g="$GIB" 'BEGIN { printf "%.2f", c * n * g }')
awk -v p="$PEAK_GIB" -v m="$BENCH_MAX_DISK_GIB" 'BEGIN { exit !(p <= m) }' ||
	die "large benchmark needs $PEAK_GIB GiB of disk, above BENCH_MAX_DISK_GIB=$BENCH_MAX_DISK_GIB"

BASE="$BENCH_DIR/large-${NF}x${GIB}g-seed$BENCH_SEED"
SRC="$BASE/src"
ISO="$BASE.iso"
OUT="$BENCH_OUT_DIR/large"
rm -rf "$OUT"

# Free space: whatever of the input set is missing, plus one extracted copy.
free_kib() { df -Pk "$1" | awk 'NR == 2 { print $4 }'; }
set_kib=$(awk -v n="$NF" -v b="$BYTES" 'BEGIN { printf "%d", n * b / 1024 }')
need_kib=0
[[ -f "$SRC/.complete" ]] || need_kib=$((need_kib + set_kib))
[[ -f "$ISO.ok" ]] || need_kib=$((need_kib + set_kib))
if out_on_bench_fs; then
	need_kib=$((need_kib + set_kib))
else
	(($(free_kib "$BENCH_OUT_DIR") > set_kib + 524288)) ||
		die "not enough room in $BENCH_OUT_DIR for $PEAK_GIB GiB; set BENCH_OUT_DIR or BENCH_LARGE_GIB"
fi
(($(free_kib "$BENCH_DIR") > need_kib + 1048576)) ||
	die "not enough free space in $BENCH_DIR: $(($(free_kib "$BENCH_DIR") / 1048576)) GiB free"

# Page cache: the image and the sources, plus the output when it is a tmpfs.
avail_kib=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
((avail_kib > (copies == 2 ? 3 : 2) * set_kib + 1048576)) ||
	log "warning: only $((avail_kib / 1024)) MiB of memory available; the inputs may not stay cached"

# ---- inputs ---------------------------------------------------------------
[[ -f "$SRC/.complete" ]] || rm -f "$ISO" "$ISO.ok"
gen_large_set "$SRC" "$NF" "$BYTES"
build_iso "$SRC" "$ISO" -iso-level 3
log "image: $ISO ($(du -h "$ISO" | cut -f1)); output to $OUT; warming the page cache"
warm "$ISO" "$SRC"/big*.bin

# ---- timing ---------------------------------------------------------------
PREP="rm -rf $(q "$OUT") && mkdir -p $(q "$OUT") && sync"
DIMG_X=
have_dimg && DIMG_X="$(q "$DIMG") extract -C $(q "$OUT") $(q "$ISO")"
CP_X="cp"
for f in "$SRC"/big*.bin; do CP_X+=" $(q "$f")"; done
CP_X+=" $(q "$OUT")/"
BENCH_WARMUP=$BENCH_LARGE_WARMUP time_group "$PREP" "$BENCH_LARGE_RUNS" \
	dimg_extract_large "dimg extract -C out IMAGE" "$DIMG_X" \
	cp_large "cp SRC/* out/ (page cache)" "$CP_X"
verify_extract dimg_extract_large "$PREP" "$DIMG_X" "$SRC" "$OUT"
rm -rf "$OUT"

report time --title "ISO, $NF x $GIB GiB files: extract vs cp" \
	--base dimg_extract_large --row cp_large:0.9

if [[ "$BENCH_CLEAN_LARGE" == 1 ]]; then
	log "removing the large inputs (BENCH_CLEAN_LARGE=1)"
	rm -rf "$BASE" "$ISO" "$ISO.ok" "$ISO.log"
fi
