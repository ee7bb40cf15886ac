#!/usr/bin/python3
"""Generate a deterministic tree of many small files for the dimg benchmarks.

Layout (default):  OUT/gNNN/dNNN/fNNNNNNN.dat
    --per-dir files in every leaf directory, --dirs-per-group leaf directories
    in every top-level group directory, as many groups as needed.  With the
    defaults (100 x 100) the largest directory holds 100 entries whatever the
    total, so a 10k and a 100k tree differ in size but not in their widest
    directory.
Layout (--flat):   OUT/flat/fNNNNNNN.dat  (every file in one directory)

File sizes are uniform in [0, --max-size]; contents are slices of a seeded
pseudo-random pool, so they are incompressible-ish and identical run to run.
A finished tree is marked with OUT/.complete holding the parameters; an
existing tree with matching parameters is reused.
"""
import argparse
import json
import os
import random
import shutil
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--per-dir", type=int, default=100)
    ap.add_argument("--dirs-per-group", type=int, default=100)
    ap.add_argument("--max-size", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flat", action="store_true")
    a = ap.parse_args()

    params = {"version": 1, "files": a.files, "per_dir": a.per_dir,
              "dirs_per_group": a.dirs_per_group, "max_size": a.max_size,
              "seed": a.seed, "flat": a.flat}
    stamp = os.path.join(a.out, ".complete")
    try:
        with open(stamp) as f:
            if json.load(f) == params:
                print(f"[gen] reusing {a.out}", file=sys.stderr)
                return 0
    except (OSError, ValueError):
        pass

    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    t0 = time.monotonic()
    rng = random.Random(a.seed)
    pool = rng.randbytes(1 << 22)
    span = len(pool) - a.max_size
    total = 0
    os.makedirs(a.out)
    d = None
    for i in range(a.files):
        if a.flat:
            nd = os.path.join(a.out, "flat")
        else:
            leaf = i // a.per_dir
            nd = os.path.join(a.out, "g%03d" % (leaf // a.dirs_per_group),
                              "d%03d" % (leaf % a.dirs_per_group))
        if nd != d:
            os.makedirs(nd, exist_ok=True)
            d = nd
        size = rng.randint(0, a.max_size)
        off = rng.randrange(span)
        fd = os.open(os.path.join(d, "f%07d.dat" % i),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            if size:
                os.write(fd, pool[off:off + size])
        finally:
            os.close(fd)
        total += size
    with open(stamp, "w") as f:
        json.dump(params, f)
    print(f"[gen] {a.out}: {a.files} files, {total / 2**20:.1f} MiB "
          f"in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
