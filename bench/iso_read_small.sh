#!/usr/bin/env bash
# Listing and extraction speed on an ISO holding many small files.
#
#   dimg ls -R IMAGE          vs  isoinfo -l -R -i IMAGE                target >= 2x
#   dimg extract -C out IMAGE vs  bsdtar -x -f IMAGE -C out             target >= 1.5x
#                             vs  7zz x -oout IMAGE                     target >= 1.5x
#
# The image is read from the page cache (it is read once before timing and
# every command gets warm-up runs).  Extraction goes to BENCH_OUT_DIR (a tmpfs
# by default), emptied and synced before every run; that is not timed.
# See bench/README.md for the knobs.
source "$(dirname "$0")/common.sh"

need_tools hyperfine xorriso isoinfo bsdtar 7zz

N=$BENCH_FILES
ensure_small "$N"
TREE=$(small_tree "$N")
ISO=$(small_iso "$N")
OUT="$BENCH_OUT_DIR/small"
log "image: $ISO ($(du -h "$ISO" | cut -f1)); output to $OUT"
warm "$ISO"

# ---- listing ----------------------------------------------------------------
if have_dimg; then
	time_cmd dimg_ls "dimg ls -R IMAGE" "$BENCH_LS_RUNS" "" "$(q "$DIMG") ls -R $(q "$ISO")"
	if [[ -f "$RES_DIR/dimg_ls.json" && "$BENCH_VERIFY" == 1 ]]; then
		# Every file name must appear in the listing.
		lines=$("$DIMG" ls -R "$ISO" | grep -c 'f[0-9]\{7\}\.dat' || true)
		if ((lines < N)); then
			echo "listing names $lines of $N files" >"$RES_DIR/dimg_ls.bad"
			log "  dimg ls -R names only $lines of $N files"
		else
			log "  verified: dimg ls -R names all $N files"
		fi
	fi
else
	skip_cmd dimg_ls "dimg ls -R IMAGE" "no $DIMG"
fi
time_cmd isoinfo_ls "isoinfo -l -R -i IMAGE" "$BENCH_LS_RUNS" "" "isoinfo -l -R -i $(q "$ISO")"

report time --title "ISO, $N small files: list (ls -R)" \
	--base dimg_ls --row isoinfo_ls:2.0

# ---- extraction -------------------------------------------------------------
PREP="rm -rf $(q "$OUT") && mkdir -p $(q "$OUT") && sync"
if have_dimg; then
	time_cmd dimg_extract "dimg extract -C out IMAGE" "$BENCH_RUNS" "$PREP" \
		"$(q "$DIMG") extract -C $(q "$OUT") $(q "$ISO")"
	verify_tree dimg_extract "$TREE" "$OUT"
else
	skip_cmd dimg_extract "dimg extract -C out IMAGE" "no $DIMG"
fi
time_cmd bsdtar_extract "bsdtar -x -f IMAGE -C out" "$BENCH_RUNS" "$PREP" \
	"bsdtar -x -f $(q "$ISO") -C $(q "$OUT")"
verify_tree bsdtar_extract "$TREE" "$OUT"
time_cmd 7zz_extract "7zz x -y -oout IMAGE" "$BENCH_RUNS" "$PREP" \
	"7zz x -y -o$(q "$OUT") $(q "$ISO")"
verify_tree 7zz_extract "$TREE" "$OUT"
rm -rf "$OUT"

report time --title "ISO, $N small files: extract" \
	--base dimg_extract --row bsdtar_extract:1.5 --row 7zz_extract:1.5
