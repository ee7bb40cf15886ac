#!/usr/bin/env bash
# Mastering speed and memory.
#
#   dimg create -o OUT TREE  vs  xorriso -as mkisofs -R -J -o OUT TREE   target >= 1.5x
#                            vs  genisoimage -R -J -o OUT TREE          target >= 1.5x
#   peak memory of dimg create vs xorriso on the same tree              target: lower
#   dimg create of a few multi-GiB files vs cat of them to the same
#   output file system                                                  target >= 0.9x
#
# The sources are read from the page cache; outputs go to BENCH_OUT_DIR (a
# tmpfs by default) and are removed before every run (not timed).
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

need_tools hyperfine xorriso genisoimage

N=$BENCH_FILES
ensure_small "$N"
TREE=$(small_tree "$N")
OUT="$BENCH_OUT_DIR/create"
mkdir -p "$OUT"
log "tree: $TREE ($N files); output to $OUT"
find "$TREE" -type f -exec cat {} + >/dev/null

PREP="rm -f $(q "$OUT")/*.iso && sync"
DIMG_C=
have_dimg && DIMG_C="$(q "$DIMG") create -o $(q "$OUT/d.iso") $(q "$TREE")"
XO_C="xorriso -as mkisofs -quiet -R -J -o $(q "$OUT/x.iso") $(q "$TREE")"
GE_C="genisoimage -quiet -R -J -o $(q "$OUT/g.iso") $(q "$TREE")"
time_group "$PREP" "$BENCH_RUNS" \
	dimg_create "dimg create -o OUT TREE" "$DIMG_C" \
	xorriso_create "xorriso -as mkisofs -R -J -o OUT TREE" "$XO_C" \
	genisoimage_create "genisoimage -R -J -o OUT TREE" "$GE_C"
report time --title "ISO from $N small files: create" \
	--base dimg_create --row xorriso_create:1.5 --row genisoimage_create:1.5

# ---- peak memory ------------------------------------------------------------
if have_dimg; then
	peak() { rm -f "$OUT"/*.iso; /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
	d_kib=$(peak "$DIMG" create -o "$OUT/d.iso" "$TREE")
	x_kib=$(peak xorriso -as mkisofs -quiet -R -J -o "$OUT/x.iso" "$TREE")
	g_kib=$(peak genisoimage -quiet -R -J -o "$OUT/g.iso" "$TREE")
	verdict=MISS
	((d_kib < x_kib)) && verdict=PASS
	printf '%-44s %-36s %8s MiB\n' "Peak memory, create ($N files)" "dimg create" "$((d_kib / 1024))"
	printf '%-44s %-36s %8s MiB   target: dimg lower  %s\n' "" "xorriso -as mkisofs -R -J" \
		"$((x_kib / 1024))" "$verdict"
	printf '%-44s %-36s %8s MiB\n' "" "genisoimage -R -J" "$((g_kib / 1024))"
fi
rm -f "$OUT"/*.iso

# ---- a few multi-GiB files ---------------------------------------------------
NF=$BENCH_LARGE_FILES
GIB=$BENCH_LARGE_GIB
BYTES=$(awk -v g="$GIB" 'BEGIN { printf "%d", g * 1073741824 }')
SRC="$BENCH_DIR/large-${NF}x${GIB}g-seed$BENCH_SEED/src"
gen_large_set "$SRC" "$NF" "$BYTES"
warm "$SRC"/big*.bin
mkdir -p "$OUT"
PREP="rm -f $(q "$OUT")/* && sync"
DIMG_L=
have_dimg && DIMG_L="$(q "$DIMG") create -o $(q "$OUT/d.iso") $(q "$SRC")"
CAT_L="sh -c $(q "cat $SRC/big*.bin > $OUT/cat.out")"
time_group "$PREP" "$BENCH_LARGE_RUNS" \
	dimg_create_large "dimg create -o OUT SRC" "$DIMG_L" \
	cat_large "cat SRC/* > OUT" "$CAT_L"
report time --title "ISO from $NF x $GIB GiB files: create vs cat" \
	--base dimg_create_large --row cat_large:0.9
rm -rf "$OUT"
[[ "$BENCH_CLEAN_LARGE" == 1 ]] && rm -rf "$(dirname "$SRC")"
exit 0
