#!/usr/bin/python3
"""Interleaved timing harness for the dimg benchmarks.

  harness.py --results DIR --runs N --warmup W [--prepare SHELL-CMD]
             NAME=COMMAND [NAME=COMMAND ...]

Runs the commands round-robin (A B C A B C ...) rather than all runs of A and
then all runs of B, so that slow drifts of a shared machine (other jobs,
memory being handed back to the hypervisor) hit every command alike.  Before
every run, PREPARE is run through the shell (not timed).  Each COMMAND is split
with shlex and executed directly (no shell, so no shell start-up in the
timings) with stdout and stderr going to /dev/null.

For every NAME writes DIR/NAME.json in the format of hyperfine --export-json
(results[0] with median, mean, stddev, min, max, user, system, times), or
DIR/NAME.err when the command failed (it is then dropped from the rotation).
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv):
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                                        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                                        (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    return os.waitstatus_to_exitcode(status), wall, ru.ru_utime, ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--prepare", default="")
    ap.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    a = ap.parse_args()

    cmds = []
    for c in a.commands:
        name, _, cmd = c.partition("=")
        cmds.append((name, cmd, shlex.split(cmd)))
    for name, _, _ in cmds:
        for ext in (".json", ".err"):
            try:
                os.unlink(os.path.join(a.results, name + ext))
            except FileNotFoundError:
                pass

    samples = {name: [] for name, _, _ in cmds}
    failed = {}

    def one(name, cmd, argv):
        if a.prepare:
            subprocess.run(a.prepare, shell=True, check=True)
        code, wall, ut, st = run_once(argv)
        if code != 0:
            # Re-run once with output kept, to say why.
            if a.prepare:
                subprocess.run(a.prepare, shell=True, check=True)
            p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, errors="replace")
            msg = "command failed with exit code %d: %s\n%s" % (code, cmd, p.stderr[-2000:])
            failed[name] = msg
            with open(os.path.join(a.results, name + ".err"), "w") as f:
                f.write(msg)
            print("[harness] %s FAILED (exit %d)" % (name, code), file=sys.stderr)
            return None
        return wall, ut, st

    total = a.warmup + a.runs
    for r in range(total):
        for name, cmd, argv in cmds:
            if name in failed:
                continue
            res = one(name, cmd, argv)
            if res is not None and r >= a.warmup:
                samples[name].append(res)

    for name, cmd, _ in cmds:
        if name in failed or not samples[name]:
            continue
        times = [s[0] for s in samples[name]]
        result = {
            "command": name,
            "command_line": cmd,
            "mean": statistics.fmean(times),
            "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
            "median": statistics.median(times),
            "user": statistics.fmean(s[1] for s in samples[name]),
            "system": statistics.fmean(s[2] for s in samples[name]),
            "min": min(times),
            "max": max(times),
            "times": times,
        }
        with open(os.path.join(a.results, name + ".json"), "w") as f:
            json.dump({"results": [result]}, f, indent=1)
        print("    %-22s median %8.4f s  min %8.4f  max %8.4f  (user %.3f, sys %.3f; %d runs)"
              % (name, result["median"], result["min"], result["max"], result["user"],
                 result["system"], len(times)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
