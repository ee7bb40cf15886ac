#!/usr/bin/env bash
# Listing and extraction speed on an ISO holding many small files.
#
#   dimg ls -R IMAGE          vs  isoinfo -l -R -i IMAGE                target >= 2x
#   dimg ls -l -R IMAGE       vs  isoinfo -l -R -i IMAGE                (information)
#   dimg extract -C out IMAGE vs  bsdtar -x -f IMAGE -C out             target >= 1.5x
#                             vs  7zz x -oout IMAGE                     target >= 1.5x
#
# The image is read from the page cache (it is read once before timing and
# every command gets warm-up runs).  Extraction goes to BENCH_OUT_DIR (a tmpfs
# by default), emptied and synced before every run; that is not timed.  The
# commands of a group run interleaved (see time_group in common.sh).  After
# timing, each extraction is run once more and compared with the source tree.
# See bench/README.md for the knobs.
# shellcheck source=bench/common.sh
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
# dimg ls -R prints one path per line while isoinfo -l prints a long listing
# (mode, owner, size, date); dimg ls -l -R, the like-for-like output, is timed
# too, for information.
DIMG_LS=''
DIMG_LSL=''
if have_dimg; then
	DIMG_LS="$(q "$DIMG") ls -R $(q "$ISO")"
	DIMG_LSL="$(q "$DIMG") ls -l -R $(q "$ISO")"
fi
time_group "" "$BENCH_LS_RUNS" \
	dimg_ls "dimg ls -R IMAGE" "$DIMG_LS" \
	dimg_ls_long "dimg ls -l -R IMAGE" "$DIMG_LSL" \
	isoinfo_ls "isoinfo -l -R -i IMAGE" "isoinfo -l -R -i $(q "$ISO")"
if [[ -f "$RES_DIR/dimg_ls.json" && "$BENCH_VERIFY" == 1 ]]; then
	# Every file name must appear in the listing.
	names=$("$DIMG" ls -R "$ISO" | grep -c 'f[0-9]\{7\}\.dat' || true)
	if ((names < N)); then
		mark_bad dimg_ls "the listing names $names of $N files"
	else
		log "  verified: dimg ls -R names all $N files"
	fi
fi
report time --title "ISO, $N small files: list (ls -R)" \
	--base dimg_ls --row isoinfo_ls:2.0
report time --title "ISO, $N small files: list, long format (information)" \
	--base dimg_ls_long --row isoinfo_ls:

# ---- extraction -------------------------------------------------------------
PREP="rm -rf $(q "$OUT") && mkdir -p $(q "$OUT") && sync"
DIMG_X=
have_dimg && DIMG_X="$(q "$DIMG") extract -C $(q "$OUT") $(q "$ISO")"
BSDTAR_X="bsdtar -x -f $(q "$ISO") -C $(q "$OUT")"
SZ_X="7zz x -y -o$(q "$OUT") $(q "$ISO")"
time_group "$PREP" "$BENCH_RUNS" \
	dimg_extract "dimg extract -C out IMAGE" "$DIMG_X" \
	bsdtar_extract "bsdtar -x -f IMAGE -C out" "$BSDTAR_X" \
	7zz_extract "7zz x -y -oout IMAGE" "$SZ_X"
verify_extract dimg_extract "$PREP" "$DIMG_X" "$TREE" "$OUT"
verify_extract bsdtar_extract "$PREP" "$BSDTAR_X" "$TREE" "$OUT"
verify_extract 7zz_extract "$PREP" "$SZ_X" "$TREE" "$OUT"
rm -rf "$OUT"

report time --title "ISO, $N small files: extract" \
	--base dimg_extract --row bsdtar_extract:1.5 --row 7zz_extract:1.5
