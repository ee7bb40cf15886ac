#!/usr/bin/env bash
# Peak memory (max RSS from /usr/bin/time -f %M) of dimg ls -R and
# dimg extract on three images:
#
#   S  BENCH_MEM_SMALL_FILES (10k) files, 100 per directory
#   L  BENCH_FILES (100k) files, 100 per directory  -> 10x the image, same
#      largest directory
#   W  BENCH_MEM_FLAT_FILES (10k) files, all in one directory (informational:
#      a wider largest directory)
#
# target: RSS(L) / RSS(S) <= 1.5 for both dimg commands, i.e. memory follows
# the largest directory, not the size of the image.  The reference tools are
# measured too for context (BENCH_MEM_REFS=0 to skip them).
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

need_tools xorriso isoinfo bsdtar 7zz
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"

NS=$BENCH_MEM_SMALL_FILES
NL=$BENCH_FILES
NW=$BENCH_MEM_FLAT_FILES
ensure_small "$NS"
ensure_small "$NL"
ensure_flat "$NW"
declare -A IMG=([S]=$(small_iso "$NS") [L]=$(small_iso "$NL") [W]=$(flat_iso "$NW"))
OUT="$BENCH_OUT_DIR/mem"
TSV="$RES_DIR/mem.tsv"
: >"$TSV"

# measure NAME LABEL RUNS CMD... (IMAGE and OUT in CMD are substituted)
measure() {
	local name=$1 label=$2 runs=$3
	shift 3
	local col i rss cmd
	for col in S L W; do
		for ((i = 0; i < runs; i++)); do
			rm -rf "$OUT" && mkdir -p "$OUT"
			cmd=()
			for a in "$@"; do
				a=${a//IMAGE/${IMG[$col]}}
				cmd+=("${a//OUTDIR/$OUT}")
			done
			if /usr/bin/time -f %M -o "$RES_DIR/mem.time" "${cmd[@]}" >/dev/null 2>"$RES_DIR/mem.stderr"; then
				rss=$(tail -n 1 "$RES_DIR/mem.time")
			else
				rss=FAILED
				log "  $label on $col failed: $(tail -n 2 "$RES_DIR/mem.stderr" | tr '\n' ' ')"
			fi
			printf '%s\t%s\t%s\t%s\n' "$name" "$label" "$col" "$rss" >>"$TSV"
		done
	done
	log "measured $label"
}

warm "${IMG[S]}" "${IMG[L]}" "${IMG[W]}"
targets=""
if have_dimg; then
	measure dimg_ls "dimg ls -R IMAGE" "$BENCH_MEM_RUNS" "$DIMG" ls -R IMAGE
	measure dimg_extract "dimg extract -C out IMAGE" "$BENCH_MEM_RUNS" "$DIMG" extract -C OUTDIR IMAGE
	targets=dimg_ls,dimg_extract
else
	log "skipping dimg: no $DIMG"
	printf 'dimg\tdimg (not built)\tS\tn/a\n' >>"$TSV"
fi
if [[ "$BENCH_MEM_REFS" == 1 ]]; then
	measure isoinfo_ls "isoinfo -l -R -i IMAGE" 1 isoinfo -l -R -i IMAGE
	measure bsdtar_extract "bsdtar -x -f IMAGE -C out" 1 bsdtar -x -f IMAGE -C OUTDIR
	measure 7zz_extract "7zz x -y -oout IMAGE" 1 7zz x -y -oOUTDIR IMAGE
fi
rm -rf "$OUT"

report mem --title "Peak memory: $NS vs $NL files ($BENCH_FILES_PER_DIR/dir)" --tsv "$TSV" \
	--col "S=S: $NS files, $BENCH_FILES_PER_DIR/dir" --col "L=L: $NL files, $BENCH_FILES_PER_DIR/dir" \
	--col "W=W: $NW files in 1 dir" \
	--ratio L/S --max-ratio 1.5 --target-rows "$targets"
