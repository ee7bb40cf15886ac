"""The Linux kernel's isofs driver (inside QEMU, ../shared/tools/kernel-oracle) as an oracle for
a few representative matrix images: its manifest must equal dimg's extraction manifest.

kernel-oracle prints `path type mode size mtime sha256 [-> target]` with type f/d/l/o; the
sizes of directories and symlinks are on-disc sizes and are not compared. Known kernel
behaviour accounted for here:
  * isofs keeps times in 32 bits: times after 2038-01-19 come out wrapped (negative);
  * without Rock Ridge the kernel invents modes (not compared) and shows plain ISO 9660 names
    lower-cased without ';1' (compared case-insensitively, without version);
  * without Rock Ridge isofs takes a directory's time from its own "." record, dimg (like
    bsdtar and pycdlib) from the parent's record; genisoimage lets them differ for a directory
    whose too-deep child it dropped, so directory times are compared only with Rock Ridge;
  * genisoimage's rr_moved stays visible (empty) under isofs; dimg hides it like bsdtar.

Skipped when ../shared/tools is absent (set DIMG_KERNEL_ORACLE to the script to override).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import dimg_testlib as tl
from iso_matrix import JOLIET, PLAIN, RR, SPEC_BY_ID

ORACLE = Path(os.environ.get("DIMG_KERNEL_ORACLE",
                             tl.REPO.parent / "shared" / "tools" / "kernel-oracle"))
if not ORACLE.exists():
    pytest.skip(f"kernel-oracle not found at {ORACLE}", allow_module_level=True)

pytestmark = pytest.mark.kernel

TYPE = {"file": "f", "dir": "d", "symlink": "l"}

# (matrix image, view, kernel mount options)
CASES = [
    ("g-R", RR, "ro"),                 # genisoimage RR, rr_moved relocation, CE long names
    ("x-RJ-long", RR, "ro"),           # xorriso RR + Joliet
    ("xn-zisofs", RR, "ro"),           # zisofs (kernel decompresses transparently)
    ("g-rJ-long", JOLIET, "ro,norock"),  # Joliet tree of an RR+Joliet image
    ("g-J", JOLIET, "ro"),             # Joliet only (the kernel picks Joliet by itself)
    ("xn-plain", PLAIN, "ro"),         # no extensions at all
]


def parse_oracle(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        target = "-"
        if " -> " in line:
            line, target = line.split(" -> ", 1)
        path, t, mode, size, mtime, sha = line.rsplit(" ", 5)
        out[path] = (t, mode, size, int(mtime), sha, target)
    return out


def wrap32(t: int) -> int:
    t &= 0xFFFFFFFF
    return t - (1 << 32) if t >= 1 << 31 else t


def comparable(entries: dict, *, modes: bool, plain: bool) -> list[str]:
    lines = []
    for p, (t, mode, size, mtime, sha, target) in entries.items():
        if plain:
            p = tl.normalize_iso_name(p)
        size = size if t == "f" else "-"
        mtime = "-" if t == "d" and not modes else str(wrap32(int(mtime)))
        lines.append(" ".join([p, t, mode if modes and t != "l" else "-", size, mtime, sha,
                               target]))
    return sorted(lines)


def drop_empty_rr_moved(entries: dict) -> dict:
    if entries.get("rr_moved", ("",))[0] == "d" and \
            not any(p.startswith("rr_moved/") for p in entries):
        entries = dict(entries)
        del entries["rr_moved"]
    return entries


def dimg_side(root: Path) -> dict:
    out = {}
    for p, (t, mode, size, mtime, sha, target) in tl.manifest_entries(root).items():
        out[p] = (TYPE.get(t, "o"), mode, size, int(mtime), sha, target)
    return out


@pytest.fixture(scope="session")
def kernel_oracle():
    def run(image, opts):
        cp = subprocess.run([str(ORACLE), "--opts", opts, str(image)], capture_output=True,
                            text=True, timeout=900)
        assert cp.returncode == 0, f"kernel-oracle failed ({cp.returncode}): {cp.stderr[-2000:]}"
        return parse_oracle(cp.stdout)
    return run


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_kernel_agrees(dimg, matrix, kernel_oracle, case):
    spec_id, view, opts = case
    spec = SPEC_BY_ID[spec_id]
    theirs = kernel_oracle(matrix.image(spec), opts)
    if view == RR:
        theirs = drop_empty_rr_moved(theirs)
    ours = dimg_side(matrix.dimg_extract(dimg, spec, view))
    modes = view == RR
    plain = view == PLAIN
    tl.assert_manifest_equal(comparable(theirs, modes=modes, plain=plain),
                             comparable(ours, modes=modes, plain=plain),
                             f"kernel isofs ({opts}) vs dimg extract --view {view} on {spec_id}")


def test_kernel_agrees_multisession(dimg, multisession_image, kernel_oracle, tmp_path):
    """The kernel mounts the newest session of xorriso's multisession image (the superblock
    at LBA 16 points at it); dimg's default must be the same tree."""
    theirs = kernel_oracle(multisession_image, "ro")
    dest = tmp_path / "x"
    dimg.extract(multisession_image, dest)
    tl.assert_manifest_equal(comparable(theirs, modes=True, plain=False),
                             comparable(dimg_side(dest), modes=True, plain=False),
                             "kernel isofs vs dimg extract (multisession)")


@pytest.fixture(scope="session")
def multisession_image(tmp_path_factory, hard_tree):
    tmp = tmp_path_factory.mktemp("kms")
    img = tmp / "ms.iso"
    tl.make_xorriso_native(hard_tree.root, img, {}, volid="S1")
    extra = tmp / "extra"
    extra.mkdir()
    (extra / "second.txt").write_text("second session\n")
    os.utime(extra / "second.txt", (1500000000, 1500000000))
    tl.run(["xorriso", "-report_about", "SORRY", "-dev", img, "-map", extra / "second.txt",
            "/second.txt", "-rm", "/empty_file", "--", "-commit"], env={"TZ": tl.MAKER_TZ})
    return img
