# shellcheck shell=bash
# Shared settings and helpers for the dimg benchmarks.  Sourced, not run.
#
# Every knob is an environment variable with a default; see bench/README.md.

set -euo pipefail

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_SRC/.." && pwd)

: "${DIMG:=$REPO/build/dimg}"
: "${BENCH_DIR:=/tmp/dimg-bench}"
: "${BENCH_PY:=/usr/bin/python3}"

# small-file tree (iso_read_small.sh, mem_peak.sh)
: "${BENCH_FILES:=100000}"          # files in the big small-file image
: "${BENCH_FILES_PER_DIR:=100}"     # files in each leaf directory
: "${BENCH_DIRS_PER_GROUP:=100}"    # leaf directories in each top-level group
: "${BENCH_MAX_FILE_SIZE:=4096}"    # file sizes are uniform in [0, this]
: "${BENCH_SEED:=1}"
: "${BENCH_RUNS:=7}"                # timed runs per extraction command (median reported)
: "${BENCH_LS_RUNS:=20}"            # timed runs per listing command
: "${BENCH_WARMUP:=1}"

# Where extraction output goes.  Default: a tmpfs (/dev/shm) when there is
# one, so that the timings measure the tools and not the kernel's file
# creation path of the disk file system (see README.md); else BENCH_DIR.
if [[ -z "${BENCH_OUT_DIR:-}" ]]; then
	if [[ -d /dev/shm && -w /dev/shm && "$(stat -f -c %T /dev/shm 2>/dev/null)" == tmpfs ]]; then
		BENCH_OUT_DIR=/dev/shm/dimg-bench-out
	else
		BENCH_OUT_DIR=$BENCH_DIR/out
	fi
fi

# large files (iso_read_large.sh)
: "${BENCH_LARGE_FILES:=3}"
# size of each large file in GiB: 1.5, or 1.25 when the output is on the disk
# of BENCH_DIR (3 copies of the set must then fit in BENCH_MAX_DISK_GIB)
: "${BENCH_LARGE_GIB:=}"
: "${BENCH_LARGE_RUNS:=15}"
: "${BENCH_LARGE_WARMUP:=2}"        # the first runs after the inputs are read vary most
: "${BENCH_MAX_DISK_GIB:=12}"       # refuse to run if the large set would need more
: "${BENCH_CLEAN_LARGE:=0}"         # 1: delete the large inputs afterwards

# memory (mem_peak.sh)
: "${BENCH_MEM_SMALL_FILES:=10000}" # the "small" image; compared with BENCH_FILES
: "${BENCH_MEM_FLAT_FILES:=10000}"  # one directory holding this many files
: "${BENCH_MEM_RUNS:=3}"
: "${BENCH_MEM_REFS:=1}"            # also measure the reference tools

: "${BENCH_VERIFY:=1}"              # check that every tool produced the same tree
: "${BENCH_HARNESS:=interleave}"    # or hyperfine; see time_group below

: "${BENCH_RESULTS:=$BENCH_DIR/results}"
RES_DIR=$BENCH_RESULTS
SUMMARY="$RES_DIR/summary.tsv"
mkdir -p "$BENCH_DIR" "$RES_DIR" "$BENCH_OUT_DIR"

# Each script sets OUT to its scratch output directory; remove it on exit
# (it may hold GiBs in a tmpfs, i.e. in RAM).
OUT=
cleanup_out() {
	if [[ -n "$OUT" ]]; then rm -rf "$OUT"; fi
	rmdir "$BENCH_OUT_DIR" 2>/dev/null || true
}
trap cleanup_out EXIT

# out_on_bench_fs: true when the output directory is on BENCH_DIR's file system
out_on_bench_fs() { [[ "$(stat -c %d "$BENCH_DIR")" == "$(stat -c %d "$BENCH_OUT_DIR")" ]]; }
if [[ -z "$BENCH_LARGE_GIB" ]]; then
	if out_on_bench_fs; then BENCH_LARGE_GIB=1.25; else BENCH_LARGE_GIB=1.5; fi
fi

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

have_dimg() { [[ -x "$DIMG" ]]; }

need_tools() {
	local t missing=()
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (apt-get install hyperfine xorriso genisoimage libarchive-tools 7zip time)"
}

# Quote a path for use inside the shell command strings given to hyperfine.
q() { printf '%q' "$1"; }

# Paths of the generated small-file tree and its ISO for a file count.
small_tree() { echo "$BENCH_DIR/small-$1-d$BENCH_FILES_PER_DIR-g$BENCH_DIRS_PER_GROUP-s$BENCH_MAX_FILE_SIZE-seed$BENCH_SEED"; }
small_iso()  { echo "$(small_tree "$1").iso"; }
flat_tree()  { echo "$BENCH_DIR/flat-$1-s$BENCH_MAX_FILE_SIZE-seed$BENCH_SEED"; }
flat_iso()   { echo "$(flat_tree "$1").iso"; }

build_iso() { # build_iso TREE ISO [extra xorriso options]
	local tree=$1 iso=$2
	shift 2
	if [[ -f "$iso" && -f "$iso.ok" && "$iso.ok" -nt "$tree/.complete" ]]; then
		return 0
	fi
	log "building $(basename "$iso") with xorriso -as mkisofs -R -J"
	rm -f "$iso" "$iso.ok"
	# The stamp file is not part of the image.
	xorriso -as mkisofs -quiet -R -J -V DIMGBENCH "$@" \
		-m .complete -o "$iso.tmp" "$tree" >/dev/null 2>"$iso.log" ||
		{ cat "$iso.log" >&2; die "xorriso failed"; }
	mv "$iso.tmp" "$iso"
	touch "$iso.ok"
}

# Generate (or reuse) a small-file tree and its ISO.
ensure_small() { # ensure_small NFILES
	local n=$1 tree
	tree=$(small_tree "$n")
	"$BENCH_PY" "$BENCH_SRC/gen_tree.py" --out "$tree" --files "$n" \
		--per-dir "$BENCH_FILES_PER_DIR" --dirs-per-group "$BENCH_DIRS_PER_GROUP" \
		--max-size "$BENCH_MAX_FILE_SIZE" --seed "$BENCH_SEED" >&2
	build_iso "$tree" "$(small_iso "$n")"
}

ensure_flat() { # ensure_flat NFILES   (every file in one directory)
	local n=$1 tree
	tree=$(flat_tree "$n")
	"$BENCH_PY" "$BENCH_SRC/gen_tree.py" --out "$tree" --files "$n" --flat \
		--max-size "$BENCH_MAX_FILE_SIZE" --seed "$BENCH_SEED" >&2
	build_iso "$tree" "$(flat_iso "$n")"
}

# Read files into the page cache.
warm() { cat "$@" >/dev/null; }

# time_group PREPARE RUNS NAME LABEL CMD [NAME LABEL CMD ...]
# Times a group of commands that do the same work into $RES_DIR/NAME.json
# (hyperfine's JSON format).  PREPARE (a shell command, may be "") runs before
# every run and is not timed.  An empty CMD records NAME as skipped (dimg not
# built); a command that fails leaves $RES_DIR/NAME.err and the others go on.
#   BENCH_HARNESS=interleave (default): bench/harness.py runs the commands
#     round-robin, so drifts of a busy machine hit all of them alike.
#   BENCH_HARNESS=hyperfine: one hyperfine run per command, one after another.
# CMD is a plain command line (no shell syntax: globs, pipes, redirections).
time_group() {
	local prepare=$1 runs=$2
	shift 2
	local name label cmd pairs=()
	while (($# >= 3)); do
		name=$1 label=$2 cmd=$3
		shift 3
		rm -f "$RES_DIR/$name".{json,err,skip,bad,diff,log}
		printf '%s\n' "$label" >"$RES_DIR/$name.label"
		if [[ -z "$cmd" ]]; then
			skip_cmd "$name" "$label" "no $DIMG"
			continue
		fi
		printf '%s\n' "$cmd" >"$RES_DIR/$name.cmd"
		log "timing $name: $cmd"
		if [[ "$BENCH_HARNESS" == hyperfine ]]; then
			hyperfine_cmd "$name" "$runs" "$prepare" "$cmd"
		else
			pairs+=("$name=$cmd")
		fi
	done
	((${#pairs[@]} == 0)) && return 0
	log "  $runs runs (+$BENCH_WARMUP warm-up) of each, interleaved"
	"$BENCH_PY" "$BENCH_SRC/harness.py" --results "$RES_DIR" --runs "$runs" \
		--warmup "$BENCH_WARMUP" --prepare "$prepare" "${pairs[@]}" ||
		die "harness failed"
	for p in "${pairs[@]}"; do
		name=${p%%=*}
		if [[ -f "$RES_DIR/$name.err" ]]; then
			log "  $name FAILED:"
			head -n 5 "$RES_DIR/$name.err" | sed 's/^/    /' >&2
		fi
	done
}

hyperfine_cmd() { # NAME RUNS PREPARE CMD
	local name=$1 runs=$2 prepare=$3 cmd=$4
	local args=(--style basic --runs "$runs" --warmup "$BENCH_WARMUP"
		--export-json "$RES_DIR/$name.json" --command-name "$name")
	[[ -n "$prepare" ]] && args+=(--prepare "$prepare")
	if ! hyperfine "${args[@]}" "$cmd" >"$RES_DIR/$name.log" 2>&1; then
		rm -f "$RES_DIR/$name.json"
		tail -n 5 "$RES_DIR/$name.log" >"$RES_DIR/$name.err"
		log "  $name FAILED:"
		sed 's/^/    /' "$RES_DIR/$name.err" >&2
		return 0
	fi
	grep -E 'Time \(mean|Range' "$RES_DIR/$name.log" | sed 's/^/    /' >&2 || true
}

# skip_cmd NAME LABEL REASON: record that a command was not run.
skip_cmd() {
	rm -f "$RES_DIR/$1".{json,err,bad,diff}
	printf '%s\n' "$2" >"$RES_DIR/$1.label"
	printf '%s\n' "$3" >"$RES_DIR/$1.skip"
	log "skipping $1: $3"
}

# mark_bad NAME WHY: the command ran but its output was wrong.
mark_bad() {
	printf '%s\n' "$2" >"$RES_DIR/$1.bad"
	log "  $1: WRONG OUTPUT: $2"
}

# verify_extract NAME PREPARE CMD SRC OUT: run an extraction once more (after
# timing) and compare its output tree with the source tree.
verify_extract() {
	local name=$1 prepare=$2 cmd=$3 src=$4 out=$5
	[[ "$BENCH_VERIFY" == 1 && -f "$RES_DIR/$name.json" ]] || return 0
	bash -c "$prepare"
	if ! eval "$cmd" >/dev/null 2>&1; then
		mark_bad "$name" "failed when run again for verification"
		return 0
	fi
	if diff -rq -x .complete "$src" "$out" >"$RES_DIR/$name.diff" 2>&1; then
		log "  verified: $name output matches the source"
		rm -f "$RES_DIR/$name.diff"
	else
		mark_bad "$name" "differs from the source in $(wc -l <"$RES_DIR/$name.diff") places, see $RES_DIR/$name.diff"
		head -n 5 "$RES_DIR/$name.diff" | sed 's/^/    /' >&2
	fi
}

report() { "$BENCH_PY" "$BENCH_SRC/report.py" --results "$RES_DIR" --summary "$SUMMARY" "$@"; }

# gen_large_set SRC NFILES BYTES: NFILES files of pseudo-random bytes (an
# AES-CTR keystream, seeded) unless SRC/.complete says they are there.
gen_large_set() {
	local src=$1 nf=$2 bytes=$3 k key
	[[ -f "$src/.complete" ]] && return 0
	rm -rf "$src"
	mkdir -p "$src"
	log "generating $nf files of $bytes bytes (AES-CTR keystream, seed $BENCH_SEED)"
	for ((k = 0; k < nf; k++)); do
		key=$(printf '%016x%016x' "$BENCH_SEED" "$k")
		head -c "$bytes" /dev/zero |
			openssl enc -aes-128-ctr -K "$key" -iv 00000000000000000000000000000000 \
				>"$src/big$k.bin"
	done
	echo "$nf x $bytes" >"$src/.complete"
}
