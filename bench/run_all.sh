#!/usr/bin/env bash
# Run every dimg benchmark and print one summary table.
#
#   bench/run_all.sh                  # all: small, mem, large
#   BENCH_ONLY="small mem" bench/run_all.sh
#   BENCH_FILES=20000 BENCH_LARGE_GIB=0.5 bench/run_all.sh   # quick run
#
# Knobs are environment variables, documented in bench/README.md.  The exit
# status is 0 even when a target is missed: these are measurements, not tests.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

: "${BENCH_ONLY:=small mem large create cd}"

rm -f "$SUMMARY"
log "dimg: $DIMG $(have_dimg && echo "($("$DIMG" --version 2>/dev/null | head -n 1 || true))" || echo '(not built: reference tools only)')"
log "inputs and results: $BENCH_DIR"
start=$SECONDS
status=0
for b in $BENCH_ONLY; do
	case $b in
	small) script=iso_read_small.sh ;;
	large) script=iso_read_large.sh ;;
	mem) script=mem_peak.sh ;;
	create) script=iso_create.sh ;;
	mount) script=mount_read.sh ;;
	cd) script=cd_image.sh ;;
	*) die "unknown benchmark '$b' in BENCH_ONLY (small, mem, large, create, mount, cd)" ;;
	esac
	log "==== $script ===="
	"$BENCH_SRC/$script" || { status=$?; log "$script failed (exit $status)"; }
done
report summary
log "total time $((SECONDS - start))s; results in $RES_DIR"
exit "$status"
