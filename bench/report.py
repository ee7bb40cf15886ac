#!/usr/bin/python3
"""Print the benchmark tables (used by the bench/*.sh scripts).

  report.py time    --title T --base NAME --row NAME:MIN_RATIO ...
      NAME is a command timed by time_cmd (RESULTS/NAME.json, or .err / .skip
      when it failed or was not run).  ratio = median(NAME) / median(base):
      how many times faster dimg is than the other tool; the target is met
      when ratio >= MIN_RATIO.
  report.py mem     --title T --tsv FILE --col KEY=LABEL ... --ratio NUM/DEN
                    --max-ratio X --target-rows NAME,NAME
      FILE lines: name <TAB> label <TAB> column-key <TAB> max-RSS-KiB.
      The median over repeated lines is shown in MiB; ratio = NUM/DEN column;
      the target is met when ratio <= X (only checked for --target-rows).
  report.py summary
      Print every row recorded so far in the summary file.
"""
import argparse
import json
import os
import statistics
import sys


def fmt_table(header, rows):
    cols = list(zip(*([header] + rows)))
    widths = [max(len(str(c)) for c in col) for col in cols]
    out = []
    for i, r in enumerate([header] + rows):
        cells = []
        for j, c in enumerate(r):
            c = str(c)
            # first column left aligned, the others right aligned
            cells.append(c.ljust(widths[j]) if j == 0 else c.rjust(widths[j]))
        out.append("  ".join(cells).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def load_time(results, name):
    """Returns (label, median, stddev, runs, status)."""
    label = read_text(os.path.join(results, name + ".label")) or name
    skip = read_text(os.path.join(results, name + ".skip"))
    if skip is not None:
        return label, None, None, 0, "skipped: " + skip, None, None
    err = read_text(os.path.join(results, name + ".err"))
    if err is not None:
        return label, None, None, 0, "FAILED", None, None
    try:
        with open(os.path.join(results, name + ".json")) as f:
            r = json.load(f)["results"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return label, None, None, 0, "no result", None, None
    bad = read_text(os.path.join(results, name + ".bad"))
    status = "ok" if bad is None else "WRONG OUTPUT"
    cpu = (r.get("user") or 0.0) + (r.get("system") or 0.0)
    return (label, r["median"], r.get("stddev") or 0.0, len(r.get("times", [])), status,
            r.get("min"), cpu)


def append_summary(path, rows):
    """Replaces the rows of the same benchmark (first column) in the summary."""
    if not path or not rows:
        return
    keep = []
    try:
        with open(path) as f:
            keep = [l for l in f if l.split("\t", 1)[0] != rows[0][0]]
    except OSError:
        pass
    with open(path, "w") as f:
        f.writelines(keep)
        for r in rows:
            f.write("\t".join(str(c) for c in r) + "\n")


def cmd_time(a):
    base = load_time(a.results, a.base)
    header = ["command", "median s", "stddev s", "min s", "cpu s", "runs", "ratio vs dimg",
              "target", "result", "ratio of mins"]
    rows, summ = [], []

    def add(label, med, sd, n, status, ratio, target, result, mn=None, rmin="-", cpu=None):
        rows.append([label,
                     "%.4f" % med if med is not None else "-",
                     "%.4f" % sd if sd is not None else "-",
                     "%.4f" % mn if mn is not None else "-",
                     "%.4f" % cpu if med is not None and cpu is not None else "-",
                     n or "-", ratio, target, result, rmin])
        summ.append([a.title, label, "%.4f s" % med if med is not None else "-",
                     ratio, target, result])

    bl, bmed, bsd, bn, bstatus, bmin, bcpu = base
    if bstatus not in ("ok", "WRONG OUTPUT"):
        bmed = bmin = None
    add(bl, bmed, bsd, bn, bstatus, "1.00x" if bmed else "-", "-",
        "" if bstatus == "ok" else bstatus, bmin, "1.00x" if bmin else "-", bcpu)
    for spec in a.row:
        name, _, tgt = spec.partition(":")
        tgt = float(tgt) if tgt else None
        label, med, sd, n, status, mn, cpu = load_time(a.results, name)
        target = ">= %.2fx" % tgt if tgt is not None else "-"
        if status not in ("ok", "WRONG OUTPUT"):
            add(label, None, None, 0, status, "-", target, status)
            continue
        if bmed:
            ratio = med / bmed
            res = ("PASS" if ratio >= tgt else "MISS") if tgt is not None else ""
            if status != "ok" or bstatus != "ok":
                res = "WRONG OUTPUT"
            rmin = "%.2fx" % (mn / bmin) if mn and bmin else "-"
            add(label, med, sd, n, status, "%.2fx" % ratio, target, res, mn, rmin, cpu)
        else:
            add(label, med, sd, n, status, "n/a", target,
                "n/a (dimg %s)" % ("not built" if "skipped" in bstatus else bstatus),
                mn, "-", cpu)
    print("\n== %s ==" % a.title)
    print("ratio = median(other) / median(dimg): >1 means dimg is faster; PASS/MISS on it."
          "\nratio of mins = min(other) / min(dimg), for information (less sensitive to"
          " other load);\ncpu s = mean user + system time of a run")
    print(fmt_table(header, rows))
    append_summary(a.summary, summ)


def cmd_mem(a):
    cols = [c.split("=", 1) for c in a.col]
    data, labels, order = {}, {}, []
    with open(a.tsv) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            name, label, col, val = parts
            if name not in labels:
                order.append(name)
                labels[name] = label
            if val.isdigit():
                data.setdefault((name, col), []).append(int(val))
            else:
                data.setdefault((name, col), []).append(val)
    num, den = a.ratio.split("/")
    targets = set(a.target_rows.split(",")) if a.target_rows else set()
    header = ["command"] + [lab for _, lab in cols] + ["%s/%s" % (num, den), "target", "result"]
    rows, summ = [], []

    def med(name, col):
        v = data.get((name, col))
        if not v:
            return None
        for x in v:
            if isinstance(x, str):
                return x
        return statistics.median(v) / 1024.0

    for name in order:
        vals = [med(name, k) for k, _ in cols]
        cells = [("%.1f" % v if isinstance(v, float) else (v or "-")) for v in vals]
        n, d = med(name, num), med(name, den)
        ratio, target, res = "-", "-", ""
        if isinstance(n, float) and isinstance(d, float) and d > 0:
            ratio = "%.2fx" % (n / d)
        if name in targets:
            target = "<= %.2fx" % a.max_ratio
            if ratio != "-":
                res = "PASS" if n / d <= a.max_ratio else "MISS"
            else:
                res = "n/a"
        rows.append([labels[name]] + cells + [ratio, target, res])
        summ.append([a.title, labels[name],
                     " / ".join(c + " MiB" if isinstance(v, float) else c
                               for c, v in zip(cells, vals)),
                     ratio, target, res])
    print("\n== %s ==" % a.title)
    print("max RSS in MiB (median of runs); columns are images")
    print(fmt_table(header, rows))
    append_summary(a.summary, summ)


def cmd_summary(a):
    rows = []
    try:
        with open(a.summary) as f:
            for line in f:
                rows.append(line.rstrip("\n").split("\t"))
    except OSError:
        print("no results recorded")
        return
    print("\n== Summary ==")
    print(fmt_table(["benchmark", "command", "value", "ratio", "target", "result"], rows))
    miss = sum(1 for r in rows if r[-1] == "MISS")
    passed = sum(1 for r in rows if r[-1] == "PASS")
    print("\n%d PASS, %d MISS" % (passed, miss))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["time", "mem", "summary"])
    ap.add_argument("--results")
    ap.add_argument("--summary")
    ap.add_argument("--title", default="")
    ap.add_argument("--base")
    ap.add_argument("--row", action="append", default=[])
    ap.add_argument("--tsv")
    ap.add_argument("--col", action="append", default=[])
    ap.add_argument("--ratio")
    ap.add_argument("--max-ratio", type=float, default=1.5)
    ap.add_argument("--target-rows", default="")
    a = ap.parse_args()
    {"time": cmd_time, "mem": cmd_mem, "summary": cmd_summary}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
