"""The command-line contract: help, version, usage errors, error format,
the README formats table, and the demo."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from dimg_testlib import REPO, find_dimg

COMMANDS = ["info", "ls", "cat", "extract", "convert", "verify", "hash", "create", "mkisofs", "formats"]


def dimg(*args, **kw):
    return subprocess.run([str(find_dimg()), *map(str, args)], capture_output=True,
                          text=True, timeout=60, **kw)


def test_version():
    p = dimg("--version")
    assert p.returncode == 0
    assert re.fullmatch(r"dimg \d+\.\d+\.\d+\n", p.stdout)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_every_command(cmd):
    p = dimg(cmd, "--help")
    assert p.returncode == 0
    assert p.stdout.startswith(f"Usage: dimg {cmd} ")
    assert "--help" in p.stdout


def test_top_level_help_lists_commands():
    p = dimg("--help")
    assert p.returncode == 0
    for c in COMMANDS:
        assert f"  {c} " in p.stdout


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["ls"], ["ls", "--bogus", "x.iso"],
                                  ["ls", "--session", "abc", "x.iso"], ["cat", "x.iso"],
                                  ["ls", "--view", "nope", "x.iso"]])
def test_usage_errors_exit_2(args, tmp_path):
    iso = tmp_path / "x.iso"
    iso.write_bytes(b"\0" * 40000)
    p = dimg(*args, cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert p.stderr


def test_error_names_image_and_offset(tmp_path):
    bad = tmp_path / "bad.iso"
    data = bytearray(64 * 2048)
    data[16 * 2048:16 * 2048 + 7] = b"\x01CD001\x01"
    data[16 * 2048 + 156] = 10  # root record length below 34
    bad.write_bytes(bytes(data))
    p = dimg("ls", bad)
    assert p.returncode == 1
    assert re.match(rf"dimg: {re.escape(str(bad))}: .+ \(at byte offset \d+\)\n", p.stderr), p.stderr


def test_missing_file(tmp_path):
    p = dimg("info", tmp_path / "nope.iso")
    assert p.returncode == 1
    assert "nope.iso" in p.stderr and "No such file" in p.stderr


def test_readme_formats_table_is_current():
    readme = (REPO / "README.md").read_text()
    m = re.search(r"<!-- formats-table-begin -->\n(.*?)<!-- formats-table-end -->", readme, re.S)
    assert m, "README lacks the formats table markers"
    p = dimg("formats", "--markdown")
    assert p.returncode == 0
    assert m.group(1) == p.stdout, "README formats table is stale: run dimg formats --markdown"


def test_formats_json():
    p = dimg("formats", "--json")
    drivers = json.loads(p.stdout)
    names = {d["name"] for d in drivers}
    assert {"iso", "iso9660"} <= names
    assert all(d["kind"] in ("container", "filesystem") for d in drivers)


def test_demo_runs():
    p = subprocess.run(["sh", "tests/demo.sh", str(find_dimg())], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "hello from the sample image" in p.stdout
    assert "demo: ok" in p.stdout
