#!/usr/bin/env bash
# Raw CD images: conversion, verification and hashing of a 700 MB Mode 1 disc.
#
#   dimg convert DISC.cue OUT.iso       vs  bchunk DISC.bin DISC.cue OUT       target >= 2x
#   dimg verify DISC.cue                vs  sha1sum DISC.bin                   target >= 1x
#   dimg hash --algo crc32,md5,sha1     vs  sha1sum DISC.bin                   target >= 1x
#
# The disc is BENCH_CD_MB of random user data made into raw MODE1/2352
# sectors (sync, header, EDC, ECC) by dimg; its raw form is checked by
# chdman/cd-info in the test suite, and here bchunk's ISO must equal the
# source.  Inputs are read from the page cache; outputs go to BENCH_OUT_DIR.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

: "${BENCH_CD_MB:=700}"
: "${BENCH_CD_RUNS:=7}"
need_tools bchunk sha1sum

SECTORS=$((BENCH_CD_MB * 1024 * 1024 / 2048))
SRC="$BENCH_DIR/cd-${BENCH_CD_MB}mb-seed$BENCH_SEED"
OUT="$BENCH_OUT_DIR/cd"
mkdir -p "$SRC" "$OUT"
if ! have_dimg; then
	log "no $DIMG: the disc is made by dimg, nothing to compare"
	for n in dimg_cd_iso bchunk_iso dimg_cd_verify sha1sum_bin dimg_cd_hash; do
		skip_cmd "$n" "$n" "no $DIMG"
	done
	exit 0
fi
if [[ ! -f "$SRC/disc.bin" ]]; then
	log "making a $BENCH_CD_MB MB Mode 1 disc in $SRC"
	key=$(printf '%016x%016x' "$BENCH_SEED" 700)
	head -c $((SECTORS * 2048)) /dev/zero |
		openssl enc -aes-128-ctr -K "$key" -iv 00000000000000000000000000000000 \
			>"$SRC/user.iso"
	"$DIMG" convert -f "$SRC/user.iso" "$SRC/disc.cue"
fi
warm "$SRC/disc.bin" "$SRC/user.iso"

# bchunk's ISO and dimg's must both be the user data
bchunk "$SRC/disc.bin" "$SRC/disc.cue" "$OUT/check" >/dev/null
"$DIMG" convert -f "$SRC/disc.cue" "$OUT/check.iso"
cmp -s "$OUT/check01.iso" "$SRC/user.iso" || die "bchunk's ISO differs from the source"
cmp -s "$OUT/check.iso" "$SRC/user.iso" || die "dimg's ISO differs from the source"
rm -f "$OUT"/check*

# BIN/CUE -> ISO twice: into BENCH_OUT_DIR (a tmpfs by default) and into a
# folder next to the input, on its disk file system, which is where users
# convert.  Taking new page-cache pages costs differently on the two (on
# this VM 0.16 s for 700 MB on ext4 against 0.24 s on tmpfs), and it is most
# of this job; writeback is kept out of the timings by a sync before each run.
PREP="rm -f $(q "$OUT")/*"
time_group "$PREP" "$BENCH_CD_RUNS" \
	dimg_cd_iso "dimg convert DISC.cue OUT.iso" \
	"$(q "$DIMG") convert $(q "$SRC/disc.cue") $(q "$OUT/d.iso")" \
	bchunk_iso "bchunk DISC.bin DISC.cue OUT" \
	"bchunk $(q "$SRC/disc.bin") $(q "$SRC/disc.cue") $(q "$OUT/b")"
report time --title "$BENCH_CD_MB MB Mode 1 BIN/CUE -> ISO, output in $BENCH_OUT_DIR" \
	--base dimg_cd_iso --row bchunk_iso:2

DOUT="$SRC/out"
mkdir -p "$DOUT"
PREP="rm -f $(q "$DOUT")/*; sync"
time_group "$PREP" "$BENCH_CD_RUNS" \
	dimg_cd_iso_disk "dimg convert DISC.cue OUT.iso (same disk)" \
	"$(q "$DIMG") convert $(q "$SRC/disc.cue") $(q "$DOUT/d.iso")" \
	bchunk_iso_disk "bchunk DISC.bin DISC.cue OUT (same disk)" \
	"bchunk $(q "$SRC/disc.bin") $(q "$SRC/disc.cue") $(q "$DOUT/b")"
report time --title "$BENCH_CD_MB MB Mode 1 BIN/CUE -> ISO, output next to the input ($(stat -f -c %T "$DOUT"))" \
	--base dimg_cd_iso_disk --row bchunk_iso_disk:2
rm -rf "$DOUT"

time_group "" "$BENCH_CD_RUNS" \
	dimg_cd_verify "dimg verify DISC.cue" "$(q "$DIMG") verify $(q "$SRC/disc.cue")" \
	sha1sum_bin "sha1sum DISC.bin" "sha1sum $(q "$SRC/disc.bin")" \
	dimg_cd_hash "dimg hash --algo crc32,md5,sha1 DISC.cue" \
	"$(q "$DIMG") hash --algo crc32,md5,sha1 $(q "$SRC/disc.cue")" \
	dimg_cd_md5 "dimg hash --algo md5 DISC.cue (libcrypto MD5 alone)" \
	"$(q "$DIMG") hash --algo md5 $(q "$SRC/disc.cue")"
report time --title "$BENCH_CD_MB MB Mode 1 BIN: verify (EDC+ECC of every sector)" \
	--base dimg_cd_verify --row sha1sum_bin:1
# MD5 is one serial chain: the MD5 worker alone sets the floor of the
# three-algorithm run, shown on its own for that reason.
report time --title "$BENCH_CD_MB MB Mode 1 BIN: hash crc32+md5+sha1" \
	--base dimg_cd_hash --row sha1sum_bin:1 --row dimg_cd_md5
rm -rf "$OUT"
exit 0
