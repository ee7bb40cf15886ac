#!/usr/bin/env bash
# Remove every generated input, result and scratch output of the benchmarks.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
log "removing $BENCH_DIR and $BENCH_OUT_DIR"
rm -rf "$BENCH_DIR" "$BENCH_OUT_DIR"
