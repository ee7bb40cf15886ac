#!/usr/bin/python3
"""The one test entry point (`make check`): C unit tests, fuzz-corpus
replay, end-to-end tests; then a summary line `N passed, N failed, N skipped`.

Environment: BUILD (meson build dir), DIMG (binary), CI (oracle tests must
not skip for a missing tool), PYTEST_ARGS (extra arguments).
"""
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
passed = failed = skipped = 0


def section(title):
    print(f"\n==== {title} ====", flush=True)


def run_unit():
    global passed, failed
    section("C unit tests (cmocka)")
    tests = sorted(f for f in os.listdir(os.path.join(BUILD, "tests"))
                   if f.startswith("test-") and os.access(os.path.join(BUILD, "tests", f), os.X_OK)
                   and not f.endswith(".p"))
    if not tests:
        print("no unit test binaries (is libcmocka-dev installed?)")
        failed += 1
        return
    for t in tests:
        p = subprocess.run([os.path.join(BUILD, "tests", t)], capture_output=True, text=True)
        out = p.stdout + p.stderr
        ok = len(re.findall(r"^\[       OK \]", out, re.M))
        bad = len(re.findall(r"^\[  (FAILED|ERROR)  \] (?!\d)", out, re.M))
        bad = max(bad, len(re.findall(r"^\[  FAILED  \] test_", out, re.M)))
        if p.returncode != 0 and bad == 0:
            bad = 1
        passed += ok
        failed += bad
        print(f"{t}: {ok} passed, {bad} failed")
        if bad:
            print(out)


def run_replay():
    global passed, failed
    section("fuzz regression corpus replay")
    corpus = os.path.join(ROOT, "tests", "fuzz", "corpus")
    for target in sorted(os.listdir(corpus)):
        exe = os.path.join(BUILD, "tests", "fuzz-replay-" + target)
        if not os.path.exists(exe):
            print(f"{target}: replay binary missing")
            failed += 1
            continue
        try:
            p = subprocess.run([exe, os.path.join(corpus, target)], capture_output=True,
                               text=True, timeout=600)
            ok = p.returncode == 0
            detail = (p.stdout + p.stderr).strip().splitlines()[-1:] or [""]
        except subprocess.TimeoutExpired:
            ok, detail = False, ["timed out"]
        print(f"{target}: {'ok' if ok else 'FAILED'} ({detail[0]})")
        if ok:
            passed += 1
        else:
            failed += 1
            print(p.stdout + p.stderr if 'p' in dir() else "")


def run_pytest():
    global passed, failed, skipped
    section("end-to-end tests (pytest)")
    xml = os.path.join(BUILD, "pytest-results.xml")
    args = [sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider",
            f"--junitxml={xml}", os.path.join(ROOT, "tests", "e2e")]
    args += shlex.split(os.environ.get("PYTEST_ARGS", ""))
    p = subprocess.run(args, cwd=ROOT)
    try:
        suite = ET.parse(xml).getroot()
        suites = [suite] if suite.tag == "testsuite" else list(suite)
        for s in suites:
            t = int(s.get("tests", 0))
            f = int(s.get("failures", 0)) + int(s.get("errors", 0))
            sk = int(s.get("skipped", 0))
            passed += t - f - sk
            failed += f
            skipped += sk
    except (OSError, ET.ParseError):
        failed += 1
    if p.returncode not in (0, 1) and failed == 0:
        failed += 1  # pytest crashed, or collected nothing (exit 5)


def main():
    run_unit()
    run_replay()
    run_pytest()
    print()
    print(f"summary: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
