"""`dimg create -o OUT.iso [options] SOURCE...`: images written by dimg, read back by
independent readers (bsdtar, xorriso -osirrox, 7zz, isoinfo, iso-info, pycdlib) and by dimg,
and compared with the source tree.

Contract (from the issue): the contents of every SOURCE directory are merged at the image root;
defaults are ISO level 3, Rock Ridge 1.12 with real modes/owners/times, Joliet, and a volume id
made from the first source directory's name. Errors exit 1 with a message naming the file and
leave no output file behind.

The 4.2 GiB multi-extent tests are marked slow (deselect with -m "not slow"); the two tests
with the Linux kernel's isofs driver (../shared/tools/kernel-oracle, QEMU) are marked kernel.
Calibration without dimg: DIMG_TEST_STANDIN=xorriso (see create_helpers.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import mmap
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

import create_helpers as ch
import dimg_testlib as tl
from iso_matrix import BSDTAR_KNOWN_WRONG

EPOCH = 1700000000


@pytest.fixture(scope="module")
def memo(tmp_path_factory):
    return ch.Memo(tmp_path_factory.mktemp("create"))


def default_image(dimg, memo, hard_tree) -> Path:
    """The hard tree with default options (built once per module)."""
    return memo.get("default", lambda: ch.create_ok(dimg, memo.path("default.iso"),
                                                     [hard_tree.root]))


def extraction(memo, key, fn) -> Path:
    return memo.get(("x", key), fn)


# --------------------------------------------------------------------------------------------
# command line


def test_create_help(dimg):
    if ch.STANDIN:
        pytest.skip("stand-in mode")
    r = dimg.run("create", "--help")
    assert r.returncode == 0, r.describe()
    assert r.out.startswith("Usage: dimg create "), r.describe()
    for opt in ("--force", "--dry-run", "--level", "--iso1999", "--no-joliet", "--joliet-long",
                "--no-rock-ridge", "--rr-1.10", "--rationalize", "--volume-id", "--system-id",
                "--publisher", "--preparer", "--application", "--volume-set", "--exclude",
                "--map", "--sort", "--uid", "--gid", "--file-mode", "--dir-mode", "--pad",
                "--no-pad", "--reproducible", "--boot-bios", "--boot-efi", "--boot-catalog",
                "--hybrid-mbr", "--gpt"):
        assert opt in r.out, f"{opt} missing from `dimg create --help`:\n{r.out}"


@pytest.mark.parametrize("args", [
    [],                                   # nothing at all
    ["SRC"],                              # no -o
    ["-o", "OUT"],                        # no source
    ["-o", "OUT", "--bogus-option", "SRC"],
    ["-o", "OUT", "--level", "7", "SRC"],
    ["-o", "OUT", "--level", "one", "SRC"],
    ["-o", "OUT", "--uid", "abc", "SRC"],
    ["-o", "OUT", "--file-mode", "99x", "SRC"],
    ["-o", "OUT", "--map", "no-equals-sign", "SRC"],
], ids=["empty", "no-o", "no-source", "unknown", "level7", "level-word", "uid-word",
        "mode-word", "map-syntax"])
def test_create_usage_errors_exit_2(dimg, tmp_path, args):
    if ch.STANDIN:
        pytest.skip("stand-in mode")
    src = tmp_path / "SRC"
    src.mkdir()
    (src / "f").write_text("f")
    args = [str(tmp_path / a) if a in ("SRC", "OUT") else a for a in args]
    r = ch.run_cmd([dimg.path, "create", *args])
    assert r.returncode == 2, r.describe()
    assert r.err.strip(), "a usage error must say what is wrong:\n" + r.describe()
    assert not (tmp_path / "OUT").exists()


# --------------------------------------------------------------------------------------------
# 1. round trip through Rock Ridge


def test_roundtrip_dimg_extract(dimg, memo, hard_tree, hard_tree_entries):
    img = default_image(dimg, memo, hard_tree)
    dest = extraction(memo, "dimg", lambda: (dimg.extract(img, memo.path("x-dimg")),
                                             memo.path("x-dimg"))[1])
    tl.assert_manifest_equal(tl.format_manifest(hard_tree_entries), tl.manifest(dest),
                             "dimg extract of a dimg-created image vs source")


def test_roundtrip_bsdtar(dimg, memo, hard_tree, hard_tree_entries):
    img = default_image(dimg, memo, hard_tree)
    dest = extraction(memo, "bsdtar", lambda: ch.bsdtar_extract_ok(img, memo.path("x-bsdtar")))
    want = {p: v for p, v in hard_tree_entries.items() if p not in BSDTAR_KNOWN_WRONG}
    got = tl.manifest_entries(dest, exclude=BSDTAR_KNOWN_WRONG)
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got),
                             "bsdtar -x of a dimg-created image vs source")


def test_roundtrip_xorriso(dimg, memo, hard_tree, hard_tree_entries):
    """xorriso -osirrox: everything but symlink mtimes (xorriso does not set them)."""
    img = default_image(dimg, memo, hard_tree)
    dest = extraction(memo, "xorriso", lambda: ch.xorriso_extract_ok(img, memo.path("x-xorriso")))
    want = ch.without_symlink_mtimes(hard_tree_entries)
    got = ch.without_symlink_mtimes(tl.manifest_entries(dest))
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got),
                             "xorriso -osirrox extract of a dimg-created image vs source")


def test_roundtrip_hardlinks(dimg, memo, hard_tree):
    """Hard links share an inode after extraction (bsdtar and dimg)."""
    img = default_image(dimg, memo, hard_tree)
    src_groups = tl.hardlink_groups(hard_tree.root)
    assert src_groups, "the hard tree must contain hard links"
    bsd = extraction(memo, "bsdtar", lambda: ch.bsdtar_extract_ok(img, memo.path("x-bsdtar")))
    assert tl.hardlink_groups(bsd) == src_groups, "bsdtar: hard links not recorded as such"
    mine = extraction(memo, "dimg", lambda: (dimg.extract(img, memo.path("x-dimg")),
                                             memo.path("x-dimg"))[1])
    assert tl.hardlink_groups(mine) == src_groups, "dimg extract: hard links not restored"


def test_roundtrip_owners(dimg, memo, hard_tree):
    """-R semantics: real owners recorded (bsdtar as root restores them; dimg ls --json)."""
    if os.geteuid() != 0:
        pytest.skip("owners can only be set up and restored as root")
    img = default_image(dimg, memo, hard_tree)
    assert hard_tree.uid_gid, "the hard tree must have non-root owners"
    want = ch.owners(hard_tree.root)
    bsd = extraction(memo, "bsdtar", lambda: ch.bsdtar_extract_ok(img, memo.path("x-bsdtar")))
    got = ch.owners(bsd)
    diff = {p: (want[p], got.get(p)) for p in want if got.get(p) != want[p]}
    assert not diff, f"owners differ after bsdtar -x (source, image): {dict(list(diff.items())[:20])}"
    ls = tl.ls_entries_by_path(dimg.ls(img))
    for p, ug in hard_tree.uid_gid.items():
        assert (ls[p]["uid"], ls[p]["gid"]) == ug, (p, ls[p])


def test_output_inside_source_is_left_out(dimg, tmp_path):
    """As genisoimage does: the image being written (or its temporary file) is not part of
    itself. (An existing OUT replaced with --force is an ordinary source file for genisoimage
    and xorriso too, so that case is not checked.)"""
    src = tmp_path / "src"
    ch.write_file(src, "a.txt", b"a")
    out = src / "self.iso"
    ch.create_ok(dimg, out, [src])
    assert {e["path"] for e in dimg.ls(out)} == {"a.txt"}


def test_no_temporary_files_left_on_success(dimg, tmp_path):
    src = tmp_path / "src"
    ch.write_file(src, "a.txt", b"a")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    ch.create_ok(dimg, out_dir / "a.iso", [src])
    assert ch.listdir(out_dir) == ["a.iso"]


# --------------------------------------------------------------------------------------------
# Rock Ridge version and presence


def test_rock_ridge_1_12_by_default(dimg, memo, hard_tree):
    img = default_image(dimg, memo, hard_tree)
    iso = tl.IsoImage.load(img)
    assert ch.has_sp(iso), "no SUSP SP entry in the root's '.' record: no Rock Ridge"
    ids = ch.er_ids(iso)
    assert any(i in ("IEEE_P1282", "IEEE_1282") for i in ids), \
        f"RRIP 1.12 ER identifier expected (IEEE_P1282), ER ids: {ids}"
    for rel in ("empty_file", "sizes/size_2049", "perms/dir_750", "links/abs"):
        n = ch.px_length(iso, ch.rr_lookup(iso, rel))
        assert n == 44, f"{rel}: PX entry of {n} bytes; RRIP 1.12 has 44 (with the file serial number)"
    pycdlib = tl.require_python_module("pycdlib")
    p = pycdlib.PyCdlib()
    p.open(str(img))
    try:
        assert p.get_record(rr_path="/sizes/size_2049").rock_ridge.rr_version == "1.12"
    finally:
        p.close()


def test_rr_1_10(dimg, tmp_path, hard_tree):
    img = ch.create_ok(dimg, tmp_path / "rr110.iso", [hard_tree.root], "--rr-1.10")
    iso = tl.IsoImage.load(img)
    assert ch.has_sp(iso)
    ids = ch.er_ids(iso)
    assert ids == ["RRIP_1991A"], f"RRIP 1.10 ER identifier is RRIP_1991A, got {ids}"
    for rel in ("empty_file", "sizes/size_2049", "perms/dir_750", "links/abs"):
        n = ch.px_length(iso, ch.rr_lookup(iso, rel))
        assert n == 36, f"{rel}: PX entry of {n} bytes; RRIP 1.10 has 36"
    # still a complete Rock Ridge tree
    dest = tmp_path / "x"
    ch.bsdtar_extract_ok(img, dest)
    want = {p: v for p, v in tl.manifest_entries(hard_tree.root).items()
            if p not in BSDTAR_KNOWN_WRONG}
    tl.assert_manifest_equal(tl.format_manifest(want),
                             tl.manifest(dest, exclude=BSDTAR_KNOWN_WRONG), "--rr-1.10 via bsdtar")


def test_no_rock_ridge(dimg, tmp_path, hard_tree):
    img = ch.create_ok(dimg, tmp_path / "norr.iso", [hard_tree.root], "--no-rock-ridge")
    iso = tl.IsoImage.load(img)
    assert not ch.has_sp(iso), "--no-rock-ridge still writes SUSP/Rock Ridge"
    for comps, r in ch.raw_walk(iso):
        assert not any(sig in (b"RR", b"PX", b"NM", b"SL", b"TF") for sig, e in
                       ch.susp_entries(iso, r)), f"Rock Ridge entry in {comps}"
    assert "Rock Ridge signatures" not in ch.isoinfo_d(img)["_text"]
    views = dimg.info(img)["views"]
    assert "rockridge" not in views and "joliet" in views, views


# --------------------------------------------------------------------------------------------
# 2. Joliet


def joliet_image(dimg, memo, long: bool) -> tuple[Path, Path]:
    def build():
        src = ch.make_joliet_tree(memo.path("joliet-src-long" if long else "joliet-src"))
        img = memo.path("joliet-long.iso" if long else "joliet.iso")
        ch.create_ok(dimg, img, [src], *(["--joliet-long"] if long else []))
        return img, src
    return memo.get(("joliet", long), build)


def _joliet_expectation(src: Path, limit: int):
    """(entries Joliet must hold verbatim, {content sha: source path} of the over-long ones)."""
    entries = tl.manifest_entries(src)
    full, long = {}, {}
    for p, v in entries.items():
        if all(len(c) <= limit for c in p.split("/")):
            full[p] = v
        elif v[0] == "file":
            long[v[4]] = p
    return full, long


def _check_joliet_tree(got: dict, src: Path, limit: int, what: str, *, dir_mtimes=True):
    full, long = _joliet_expectation(src, limit)
    want = tl.transform_entries(full, drop_modes=True)
    got = tl.transform_entries(got, drop_modes=True)
    if not dir_mtimes:
        want = {p: (v[:3] + ("-",) + v[4:] if v[0] == "dir" else v) for p, v in want.items()}
        got = {p: (v[:3] + ("-",) + v[4:] if v[0] == "dir" else v) for p, v in got.items()}
    missing = sorted(set(tl.format_manifest(want)) - set(tl.format_manifest(got)))
    assert not missing, f"{what}: names of <= {limit} characters not kept verbatim:\n" + \
        "\n".join(missing)
    for sha, p in long.items():
        hits = [q for q, v in got.items() if v[4] == sha]
        assert len(hits) == 1, f"{what}: the content of {p!r} (name over {limit}) is missing"
    too_long = [(len(c.encode("utf-16-be")) // 2, p) for p in got for c in p.split("/")
                if len(c.encode("utf-16-be")) // 2 > limit]
    assert not too_long, f"{what}: Joliet names over {limit} characters: {too_long}"


@pytest.mark.parametrize("long", [False, True], ids=["joliet-64", "joliet-long-103"])
def test_joliet_7zz(dimg, memo, long):
    """7-Zip reads the Joliet tree: full names up to 64 (103 with --joliet-long), contents."""
    img, src = joliet_image(dimg, memo, long)
    dest = memo.path(f"x-7zz-{long}")
    ch.sevenzip_extract_ok(img, dest)
    got = tl.manifest_entries(dest)
    # 7-Zip does not set directory times
    got = {p: (v[:3] + ("-",) + v[4:] if v[0] == "dir" else v) for p, v in got.items()}
    _check_joliet_tree(got, src, 103 if long else 64, "7zz x", dir_mtimes=False)


@pytest.mark.parametrize("long", [False, True], ids=["joliet-64", "joliet-long-103"])
def test_joliet_dimg_view(dimg, memo, long, tmp_path):
    img, src = joliet_image(dimg, memo, long)
    dest = tmp_path / "x"
    dimg.extract(img, dest, "--view", "joliet")
    _check_joliet_tree(tl.manifest_entries(dest), src, 103 if long else 64,
                       "dimg extract --view joliet")


@pytest.mark.parametrize("long", [False, True], ids=["joliet-64", "joliet-long-103"])
def test_joliet_pycdlib(dimg, memo, long):
    img, src = joliet_image(dimg, memo, long)
    # pycdlib shows a ';1' version if there is one (allowed in Joliet, genisoimage omits it)
    got = {re.sub(r";\d+$", "", p): v for p, v in tl.pycdlib_manifest(img, joliet=True).items()}
    _check_joliet_tree(got, src, 103 if long else 64, "pycdlib joliet_path")


def test_joliet_of_hard_tree(dimg, memo, hard_tree, hard_tree_entries):
    """The default image's Joliet tree holds every regular file's content (names Joliet cannot
    hold are mangled, not dropped)."""
    img = default_image(dimg, memo, hard_tree)
    got = tl.pycdlib_manifest(img, joliet=True)
    want = sorted(v[4] for v in hard_tree_entries.values() if v[0] == "file" and v[2] != "0")
    have = sorted(v[4] for v in got.values() if v[0] == "file" and v[2] != "0")
    assert have == want, "Joliet lost or duplicated file contents"


def _joliet_units(iso):
    (svd,) = ch.joliet_svd_offsets(iso)
    for comps, r in ch.raw_walk(iso, svd):
        yield comps[-1], [int.from_bytes(comps[-1][i:i + 2], "big")
                          for i in range(0, len(comps[-1]), 2)]


def test_joliet_names_outside_bmp_are_utf16(dimg, memo, hard_tree):
    """The issue asks for UTF-16 with surrogates for names outside the BMP (Windows reads
    them): the emoji in names/ must be one valid surrogate pair that decodes to the source
    name, and no lone surrogate may appear anywhere."""
    img = default_image(dimg, memo, hard_tree)
    iso = tl.IsoImage.load(img)
    names = set()
    for raw, units in _joliet_units(iso):
        i = 0
        while i < len(units):
            if 0xD800 <= units[i] <= 0xDBFF:
                assert i + 1 < len(units) and 0xDC00 <= units[i + 1] <= 0xDFFF, raw
                i += 2
                continue
            assert not 0xDC00 <= units[i] <= 0xDFFF, raw
            i += 1
        names.add(raw.decode("utf-16-be"))
    assert "emoji_\U0001F600.txt" in names, sorted(n for n in names if "emoji" in n)


def test_joliet_ucs2_option(dimg, tmp_path, hard_tree):
    """--joliet-ucs2 (and dimg mkisofs without -joliet-utf16, like genisoimage): strict UCS-2,
    a character outside the BMP becomes '_'."""
    img = ch.create_ok(dimg, tmp_path / "ucs2.iso", [hard_tree.root], "--joliet-ucs2")
    iso = tl.IsoImage.load(img)
    bad = [raw.decode("utf-16-be", "replace") for raw, units in _joliet_units(iso)
           if any(0xD800 <= u <= 0xDFFF for u in units)]
    assert not bad, f"UTF-16 surrogates with --joliet-ucs2: {bad}"
    names = {raw.decode("utf-16-be") for raw, _ in _joliet_units(iso)}
    assert "emoji__.txt" in names, sorted(n for n in names if "emoji" in n)


def test_no_joliet(dimg, tmp_path, hard_tree):
    img = ch.create_ok(dimg, tmp_path / "noj.iso", [hard_tree.root], "--no-joliet")
    iso = tl.IsoImage.load(img)
    assert ch.joliet_svd_offsets(iso) == [], "--no-joliet still writes a Joliet SVD"
    assert "Joliet with UCS" not in ch.isoinfo_d(img)["_text"]
    views = dimg.info(img)["views"]
    assert "joliet" not in views and "rockridge" in views, views


# --------------------------------------------------------------------------------------------
# 3. readers open it without complaint


def test_reader_isoinfo_d(dimg, memo, hard_tree):
    img = default_image(dimg, memo, hard_tree)
    d = ch.isoinfo_d(img)
    assert d.get("Volume id") == "SRC", d["_text"]
    assert "Joliet with UCS level 3 found" in d["_text"], d["_text"]
    assert "Rock Ridge signatures version 1 found" in d["_text"], d["_text"]
    assert d.get("Logical block size is") == "2048"
    assert 0 < int(d["Volume size is"]) * 2048 <= img.stat().st_size, d["_text"]


def test_reader_isoinfo_l_rock_ridge(dimg, memo, hard_tree, hard_tree_entries):
    """isoinfo -l -R: every file with its RR name, mode, owner and size."""
    img = default_image(dimg, memo, hard_tree)
    listing = ch.isoinfo_listing(img, "-R")
    fix = ch.unrelocator(hard_tree_entries)      # isoinfo shows relocated directories in place
    by_path = {fix(e["path"]): e for e in listing}
    for p, (t, mode, size, mtime, sha, target) in hard_tree_entries.items():
        if t != "file" or p.endswith(" "):     # isoinfo's line format drops trailing blanks
            continue
        e = by_path.get(p)
        assert e is not None, f"isoinfo -l -R does not list {p!r}"
        st = os.lstat(hard_tree.root / p)
        assert e["size"] == st.st_size, (p, e)
        assert e["modestr"] == stat.filemode(st.st_mode), (p, e)
        # (isoinfo 1.1.11 prints garbage for non-zero owners: owners are checked with bsdtar)
    links = {p: v[5] for p, v in hard_tree_entries.items() if v[0] == "symlink"}
    for p, target in links.items():
        if p in BSDTAR_KNOWN_WRONG:
            continue
        assert by_path[p]["target"] == target, (p, by_path[p])


def test_reader_iso_info(dimg, memo, hard_tree, hard_tree_entries):
    """libcdio's iso-info lists the Rock Ridge tree (and the Joliet one) with sizes."""
    tl.require_tool("iso-info")
    img = default_image(dimg, memo, hard_tree)
    cp = tl.run(["iso-info", "--no-header", "--no-joliet", "-f", "-i", img])
    got = {}
    fix = ch.unrelocator(hard_tree_entries)      # iso-info does not follow relocation
    for line in cp.stdout.decode("utf-8", "surrogateescape").splitlines():
        m = re.match(r"^\s*(\d+) /(.*)$", line)
        if m:
            got[fix(m.group(2))] = int(m.group(1))
    assert b"rror" not in cp.stderr, cp.stderr
    for p, v in hard_tree_entries.items():
        # libcdio 2.1 cuts Rock Ridge names at 100 bytes
        if v[0] == "file" and not p.endswith(" ") and \
                all(len(c.encode()) <= 100 for c in p.split("/")):
            assert got.get(p) == int(v[2]), (p, got.get(p), v)
    # libcdio converts Joliet names with a UCS-2 iconv and gives up on a whole directory
    # holding a UTF-16 surrogate pair (the emoji), so its Joliet listing is checked on the
    # strict UCS-2 variant; the default's surrogates are checked above.
    img2 = ch.create_ok(dimg, img.parent / "iso-info-ucs2.iso", [hard_tree.root],
                        "--joliet-ucs2", "--force")
    cp = tl.run(["iso-info", "--no-header", "-f", "-i", img2])
    assert b"rror" not in cp.stderr, cp.stderr
    assert "names/with space.txt" in cp.stdout.decode("utf-8", "replace")


def test_reader_xorriso_reports(dimg, memo, hard_tree):
    img = default_image(dimg, memo, hard_tree)
    text = ch.xorriso_report(img, "-report_el_torito", "plain", "-report_system_area", "plain",
                             "-find", "/", "-exec", "report_lba")
    assert not ch.xorriso_problems(text), "xorriso complains:\n" + "\n".join(ch.xorriso_problems(text))
    assert "Volume id    : 'SRC'" in text, text[-3000:]


def test_reader_pycdlib(dimg, memo, hard_tree, hard_tree_entries):
    """pycdlib opens the image and walks all three trees; the RR tree has every source path."""
    pycdlib = tl.require_python_module("pycdlib")
    img = default_image(dimg, memo, hard_tree)
    p = pycdlib.PyCdlib()
    p.open(str(img))
    try:
        assert p.has_rock_ridge() and p.has_joliet()
        rr = set()
        fix = ch.unrelocator(hard_tree_entries)  # pycdlib shows relocated directories in place
        for d, dirs, files in p.walk(rr_path="/"):
            for n in dirs + files:
                rr.add(fix((d.rstrip("/") + "/" + n).lstrip("/")))
        rr.discard(None)
        missing = sorted(set(hard_tree_entries) - rr)
        assert not missing, f"pycdlib's RR walk misses {missing[:20]}"
        extra = sorted(rr - set(hard_tree_entries))
        assert not extra, f"pycdlib's RR walk shows extra paths {extra[:20]}"
        # (pycdlib walks a relocated directory twice: through CL and in rr_moved; a set of
        # paths counts it once)
        n_joliet = len({d + "/" + n for d, _, f in p.walk(joliet_path="/") for n in f})
        n_plain = len({d + "/" + n for d, _, f in p.walk(iso_path="/") for n in f})
        n_files = sum(1 for v in hard_tree_entries.values() if v[0] in ("file", "symlink"))
        assert n_plain == n_files, (n_plain, n_files)
        assert n_joliet >= sum(1 for v in hard_tree_entries.values() if v[0] == "file")
        for rel in hard_tree.samples:
            with p.open_file_from_iso(rr_path="/" + rel) as f:
                assert f.read() == (hard_tree.root / rel).read_bytes(), rel
    finally:
        p.close()


# --------------------------------------------------------------------------------------------
# the Linux kernel's isofs driver (../shared/tools/kernel-oracle, QEMU)


def _kernel_manifest(image, opts) -> list[str]:
    """kernel-oracle's manifest in comparable form: types f/d/l, sizes of files only, times
    wrapped to 32 bits (as the oracle's kernel reports them)."""
    tool = ch.require_shared_tool("kernel-oracle")
    r = ch.run_cmd([tool, "--opts", opts, image], timeout=900)
    assert r.returncode == 0, "kernel-oracle failed:\n" + r.describe()
    out = {}
    for line in r.out.splitlines():
        target = "-"
        if " -> " in line:
            line, target = line.split(" -> ", 1)
        path, t, mode, size, mtime, sha = line.rsplit(" ", 5)
        out[path] = (t, mode, size, mtime, sha, target)
    return _kernel_comparable(out, modes="norock" not in opts)


def _kernel_comparable(entries: dict, *, modes: bool) -> list[str]:
    def wrap32(t):
        t &= 0xFFFFFFFF
        return t - (1 << 32) if t >= 1 << 31 else t
    lines = []
    for p, (t, mode, size, mtime, sha, target) in entries.items():
        t = {"file": "f", "dir": "d", "symlink": "l"}.get(t, t)
        lines.append(" ".join([p, t, mode if modes and t != "l" else "-",
                               size if t == "f" else "-",
                               "-" if t == "d" and not modes else str(wrap32(int(mtime))),
                               sha, target]))
    return sorted(lines)


@pytest.mark.kernel
def test_kernel_reads_rock_ridge(dimg, memo, hard_tree, hard_tree_entries):
    img = default_image(dimg, memo, hard_tree)
    tl.assert_manifest_equal(_kernel_comparable(hard_tree_entries, modes=True),
                             _kernel_manifest(img, "ro"), "Linux isofs (Rock Ridge) vs source")


@pytest.mark.kernel
def test_kernel_reads_joliet(dimg, memo, hard_tree, tmp_path):
    img = default_image(dimg, memo, hard_tree)
    dest = tmp_path / "j"
    dimg.extract(img, dest, "--view", "joliet")
    tl.assert_manifest_equal(_kernel_comparable(tl.manifest_entries(dest), modes=False),
                             _kernel_manifest(img, "ro,norock"),
                             "Linux isofs (Joliet, norock) vs dimg extract --view joliet")


# --------------------------------------------------------------------------------------------
# volume id and the other descriptor strings


def test_default_volume_id_from_first_source(dimg, tmp_path):
    a = tmp_path / "myDisc_2024"
    b = tmp_path / "second"
    ch.write_file(a, "a.txt", b"a")
    ch.write_file(b, "b.txt", b"b")
    img = ch.create_ok(dimg, tmp_path / "v.iso", [a, b])
    assert ch.pvd_field(tl.IsoImage.load(img), "volume_id") == "MYDISC_2024"
    assert ch.isoinfo_d(img)["Volume id"] == "MYDISC_2024"


def test_default_volume_id_is_d_characters(dimg, tmp_path):
    a = tmp_path / "my disc-v1.0 (\u00e9dition) with a name longer than thirty-two"
    ch.write_file(a, "a.txt", b"a")
    img = ch.create_ok(dimg, tmp_path / "v.iso", [a])
    vid = ch.pvd_field(tl.IsoImage.load(img), "volume_id")
    assert re.fullmatch(r"[A-Z0-9_]{1,32}", vid), f"volume id {vid!r} is not d-characters"
    assert vid.startswith("MY"), vid


PVD_OPTIONS = [("--volume-id", "volume_id", "Volume id", "MY_VOLUME_1"),
               ("--system-id", "system_id", "System id", "DIMG_SYSTEM"),
               ("--publisher", "publisher_id", "Publisher id", "THE PUBLISHER"),
               ("--preparer", "preparer_id", "Data preparer id", "THE PREPARER"),
               ("--application", "application_id", "Application id", "DIMG TEST APP"),
               ("--volume-set", "volume_set_id", "Volume set id", "SET_OF_VOLUMES")]


@pytest.mark.parametrize("opt,field,isoinfo_key,value", PVD_OPTIONS, ids=[o[0] for o in PVD_OPTIONS])
def test_descriptor_strings(dimg, tmp_path, opt, field, isoinfo_key, value):
    src = tmp_path / "src"
    ch.write_file(src, "a.txt", b"a")
    img = ch.create_ok(dimg, tmp_path / "v.iso", [src], opt, value)
    assert ch.pvd_field(tl.IsoImage.load(img), field) == value
    assert ch.isoinfo_d(img)[isoinfo_key] == value


# --------------------------------------------------------------------------------------------
# 4. interchange levels and ISO 9660:1999


def level_image(dimg, memo, level: int | None, reverse=False, run=0, base=None) -> Path:
    def build():
        src = ch.make_level_tree(Path(base or memo.tmp) / f"level-src-{reverse}-{level}-{run}" /
                                 "leveltree", reverse=reverse)
        opts = [] if level is None else ["--level", str(level)]
        out = memo.path(f"level-{level}-{reverse}-{run}-{'o' if base else 't'}.iso")
        return ch.create_ok(dimg, out, [src], *opts)
    return memo.get(("level", level, reverse, run, str(base)), build)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_level_plain_names(dimg, memo, level):
    """Plain-view identifiers obey the level, are unique per directory, and no file is lost."""
    img = level_image(dimg, memo, level)
    iso = tl.IsoImage.load(img)
    bad = []
    per_dir = {}
    for comps, r in ch.raw_walk(iso):
        why = ch.level_violation(comps[-1], r.is_dir, level)
        if why:
            bad.append((b"/".join(comps).decode("latin-1"), why))
        key = tuple(comps[:-1])
        name = comps[-1].split(b";")[0].rstrip(b".")
        per_dir.setdefault(key, []).append(name)
    assert not bad, f"identifiers that break level {level}: {bad}"
    for d, names in per_dir.items():
        assert len(names) == len(set(names)), f"duplicate identifiers in {d}: {sorted(names)}"
    files = ch.plain_files(iso)
    want = sorted(b"level-tree:" + n.encode() + b"\n" for n in ch.LEVEL_NAMES)
    assert sorted(files.values()) == want, "file contents lost or duplicated in the plain tree"


def test_default_level_is_3(dimg, memo):
    """Without --level: level 3 (31-character identifiers, not 8.3)."""
    img = level_image(dimg, memo, None)
    iso = tl.IsoImage.load(img)
    names = [comps[-1] for comps, r in ch.raw_walk(iso)]
    for comps, r in ch.raw_walk(iso):
        assert ch.level_violation(comps[-1], r.is_dir, 3) is None, comps
    assert any(len(n.split(b";")[0]) > 12 for n in names), \
        f"all identifiers are 8.3: not level 2/3: {names}"
    # lower.case.txt has a short enough name to be kept whole (up to the dot rules)
    assert any(n.startswith(b"LOWER") and len(n.split(b";")[0]) > 12 for n in names), names


@pytest.fixture(scope="module")
def unordered_dir(tmp_path_factory):
    """A directory on tmpfs if there is one (/dev/shm): there readdir returns the newest entry
    first, so trees created in opposite orders are listed in opposite orders (on ext4 the
    order is a hash of the name and would not differ)."""
    import tempfile
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        d = Path(tempfile.mkdtemp(prefix="dimg-order-", dir="/dev/shm"))
        yield d
        shutil.rmtree(d, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("order")


@pytest.mark.parametrize("level", [1, 2])
def test_level_collisions_deterministic(dimg, memo, unordered_dir, level):
    """Collisions are resolved the same way on every run and whatever the directory order."""
    def mapping(img):
        return {data: name for name, data in ch.plain_files(tl.IsoImage.load(img)).items()}
    first = mapping(level_image(dimg, memo, level, base=unordered_dir))
    again = mapping(level_image(dimg, memo, level, run=1, base=unordered_dir))
    assert first == again, "a second run maps names differently"
    fwd = os.listdir(unordered_dir / f"level-src-False-{level}-0" / "leveltree")
    other = mapping(level_image(dimg, memo, level, reverse=True, base=unordered_dir))
    rev = os.listdir(unordered_dir / f"level-src-True-{level}-0" / "leveltree")
    if fwd == rev:
        print("note: the file system lists both trees in the same order")
    assert first == other, "the directory order of the source changes the names"


def test_plain_tree_depth_at_most_8(dimg, memo, hard_tree):
    """ECMA-119 6.8.2.1: at most 8 directory levels in the plain tree (Rock Ridge relocates
    deeper directories); path lengths at most 255."""
    img = default_image(dimg, memo, hard_tree)
    iso = tl.IsoImage.load(img)
    for comps, r in ch.raw_walk(iso):
        # the root is level 1: a directory with k identifiers is at level k + 1, a file with k
        # identifiers lies in a directory at level k
        level = len(comps) + 1 if r.is_dir else len(comps)
        assert level <= 8, f"{b'/'.join(comps)!r} is at directory level {level}"
        assert len(b"/".join(comps)) <= 255


def test_iso1999(dimg, tmp_path):
    src = ch.make_iso1999_tree(tmp_path / "src")
    img = ch.create_ok(dimg, tmp_path / "1999.iso", [src], "--iso1999")
    iso = tl.IsoImage.load(img)
    evds = ch.iso1999_evd_offsets(iso)
    assert len(evds) == 1, "--iso1999: one enhanced volume descriptor (type 2, version 2)"
    assert iso.data[evds[0] + 881] == 2, "file structure version of an EVD is 2"
    got = {}
    for comps, r in ch.raw_walk(iso, evds[0]):
        got["/".join(c.decode("utf-8") for c in comps)] = record_kind(iso, r)
    want = {p: (v[0], v[4]) for p, v in tl.manifest_entries(src).items()}
    assert got == want, f"ISO 9660:1999 tree differs:\n got {sorted(got)}\nwant {sorted(want)}"
    ls = dimg.json("ls", "-R", "--json", "--view", "iso1999", img)
    assert sorted(e["path"] for e in ls) == sorted(want)


def record_kind(iso, r):
    if r.is_dir:
        return ("dir", "-")
    return ("file", hashlib.sha256(ch.record_data(iso, r)).hexdigest())


# --------------------------------------------------------------------------------------------
# 5. reproducibility


@pytest.fixture(scope="module")
def repro_tree(tmp_path_factory, hard_tree):
    d = tmp_path_factory.mktemp("repro") / "reprotree"
    tl.copy_tree(hard_tree.root, d)
    return d


def _touch_atimes(root: Path):
    now = time.time()
    for p in list(root.rglob("*"))[:50] + [root]:
        st = os.lstat(p)
        os.utime(p, ns=(int(now * 1e9), st.st_mtime_ns), follow_symlinks=False)


def test_reproducible_source_date_epoch(dimg, tmp_path, repro_tree):
    env = {"SOURCE_DATE_EPOCH": str(EPOCH)}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = ch.create_ok(dimg, tmp_path / "a" / "first.iso", [repro_tree], env=env)
    time.sleep(1.2)
    _touch_atimes(repro_tree)
    two = ch.create_ok(dimg, tmp_path / "b" / "second-name.iso", [repro_tree], env=env)
    assert tl.sha256_file(one) == tl.sha256_file(two), \
        "two runs with SOURCE_DATE_EPOCH set give different images"


def test_reproducible_dates(dimg, tmp_path, repro_tree):
    """Volume dates = SOURCE_DATE_EPOCH; file times later than it are clamped to it."""
    img = ch.create_ok(dimg, tmp_path / "r.iso", [repro_tree],
                       env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    dates = ch.pvd_dates(tl.IsoImage.load(img))
    assert dates["creation"] == EPOCH, dates
    assert dates["modification"] == EPOCH, dates
    src = tl.manifest_entries(repro_tree)
    assert any(int(v[3]) > EPOCH for v in src.values()), "the tree needs times after the epoch"
    want = {p: v[:3] + (str(min(int(v[3]), EPOCH)),) + v[4:] for p, v in src.items()}
    dest = tmp_path / "x"
    ch.bsdtar_extract_ok(img, dest)
    got = tl.manifest_entries(dest, exclude=BSDTAR_KNOWN_WRONG)
    want = {p: v for p, v in want.items() if p not in BSDTAR_KNOWN_WRONG}
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got),
                             "SOURCE_DATE_EPOCH: clamped times via bsdtar")


def test_reproducible_flag(dimg, tmp_path, repro_tree):
    """--reproducible without SOURCE_DATE_EPOCH: still byte-identical runs."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = ch.create_ok(dimg, tmp_path / "a" / "one.iso", [repro_tree], "--reproducible",
                       unset=["SOURCE_DATE_EPOCH"])
    time.sleep(1.2)
    _touch_atimes(repro_tree)
    two = ch.create_ok(dimg, tmp_path / "b" / "two.iso", [repro_tree], "--reproducible",
                       unset=["SOURCE_DATE_EPOCH"])
    assert tl.sha256_file(one) == tl.sha256_file(two), "--reproducible runs differ"


def test_reproducible_with_boot_and_gpt(dimg, tmp_path):
    """GUIDs and disk signatures must come from the epoch too, not from randomness."""
    src = tmp_path / "bootsrc"
    ch.write_file(src, "boot/boot.bin", ch.content(2048, "bb"))
    ch.write_file(src, "efi.img", ch.content(64 * 1024, "efi"))
    opts = ["--boot-bios", "boot/boot.bin", "--boot-efi", "efi.img", "--gpt"]
    if ch.ISOHDPFX.is_file():
        opts += ["--hybrid-mbr", ch.ISOHDPFX]
    env = {"SOURCE_DATE_EPOCH": str(EPOCH)}
    one = ch.create_ok(dimg, tmp_path / "one.iso", [src], *opts, env=env)
    time.sleep(1.2)
    two = ch.create_ok(dimg, tmp_path / "two.iso", [src], *opts, env=env)
    assert tl.sha256_file(one) == tl.sha256_file(two)


# --------------------------------------------------------------------------------------------
# 6. --dry-run


DRY_RUN_OPTS = [[], ["--no-joliet", "--level", "1"], ["--joliet-long", "--iso1999", "--no-pad"],
                ["--no-rock-ridge", "--pad"]]


@pytest.mark.parametrize("opts", DRY_RUN_OPTS, ids=["default", "nojoliet-l1", "long-1999", "norr-pad"])
def test_dry_run_size(dimg, tmp_path, hard_tree, opts):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "dry.iso"
    r = ch.create(dimg, out, [hard_tree.root], "--dry-run", *opts)
    assert r.returncode == 0, r.describe()
    m = re.findall(r"^size: (\d+)$", r.out, re.M)
    assert len(m) == 1, "--dry-run must print one line `size: N`:\n" + r.describe()
    assert ch.listdir(out_dir) == [], "--dry-run wrote something"
    ch.create_ok(dimg, out, [hard_tree.root], *opts)
    assert out.stat().st_size == int(m[0]), \
        f"--dry-run said {m[0]} bytes, the image has {out.stat().st_size}"


def test_dry_run_existing_output_untouched(dimg, tmp_path, hard_tree):
    out = tmp_path / "keep.iso"
    out.write_bytes(b"precious")
    r = ch.create(dimg, out, [hard_tree.root], "--dry-run", "--force")
    assert r.returncode == 0, r.describe()
    assert out.read_bytes() == b"precious"
    assert ch.listdir(tmp_path) == ["keep.iso"]


# --------------------------------------------------------------------------------------------
# sources, grafts, exclusion, sorting


def test_merge_sources(dimg, tmp_path):
    a, b = tmp_path / "alpha", tmp_path / "beta"
    ch.write_file(a, "common/one.txt", b"one", 1500000000)
    ch.write_file(a, "only_a.txt", b"A", 1500000001)
    ch.write_file(b, "common/two.txt", b"two", 1500000002)
    ch.write_file(b, "common/sub/three.txt", b"three", 1500000003)
    ch.write_file(b, "only_b/b.txt", b"B", 1500000004)
    img = ch.create_ok(dimg, tmp_path / "m.iso", [a, b])
    dest = tmp_path / "x"
    ch.bsdtar_extract_ok(img, dest)
    got = ch.only(tl.manifest_entries(dest))
    want = {**ch.only(tl.manifest_entries(a)), **ch.only(tl.manifest_entries(b))}
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got), "merged sources")
    dirs = {p for p, v in tl.manifest_entries(dest).items() if v[0] == "dir"}
    assert dirs == {"common", "common/sub", "only_b"}, dirs
    assert ch.pvd_field(tl.IsoImage.load(img), "volume_id") == "ALPHA"


def test_map_graft_points(dimg, tmp_path):
    base, s2, s3 = tmp_path / "base", tmp_path / "s2", tmp_path / "s3"
    ch.write_file(base, "root.txt", b"root")
    ch.write_file(s2, "a.txt", b"a from s2")
    ch.write_file(s2, "sub/x.txt", b"x from s2")
    ch.write_file(s3, "b.txt", b"b from s3")
    ch.write_file(s3, "sub/y.txt", b"y from s3")
    img = ch.create_ok(dimg, tmp_path / "g.iso", [base], "--map", f"/extra/docs={s2}",
                       "--map", f"/extra/docs={s3}", "--map", f"/other={s3}")
    dest = tmp_path / "x"
    ch.bsdtar_extract_ok(img, dest)
    files = {p: (dest / p).read_bytes() for p, v in tl.manifest_entries(dest).items() if v[0] == "file"}
    assert files == {"root.txt": b"root", "extra/docs/a.txt": b"a from s2",
                     "extra/docs/sub/x.txt": b"x from s2", "extra/docs/b.txt": b"b from s3",
                     "extra/docs/sub/y.txt": b"y from s3", "other/b.txt": b"b from s3",
                     "other/sub/y.txt": b"y from s3"}, files


def test_map_single_file(dimg, tmp_path):
    base = tmp_path / "base"
    ch.write_file(base, "root.txt", b"root")
    f = ch.write_file(tmp_path, "loose.bin", b"loose file", 1555555555)
    img = ch.create_ok(dimg, tmp_path / "g.iso", [base], "--map", f"/deep/er/renamed.bin={f}")
    ls = tl.ls_entries_by_path(dimg.ls(img))
    assert ls["deep/er/renamed.bin"]["size"] == 10
    assert tl.parse_utc(ls["deep/er/renamed.bin"]["mtime"]) == 1555555555
    assert dimg.ok("cat", img, "deep/er/renamed.bin").stdout == b"loose file"
    cp = tl.run(["bsdtar", "-x", "-O", "-f", img, "deep/er/renamed.bin"])
    assert cp.stdout == b"loose file"


def test_exclude(dimg, tmp_path, hard_tree, hard_tree_entries):
    """Globs match the basename or (mkisofs -m) the whole source path as given."""
    img = ch.create_ok(dimg, tmp_path / "e.iso", [hard_tree.root], "--exclude", "*.dat",
                       "--exclude", "deep", "--exclude", f"{hard_tree.root}/names/low*.txt")
    paths = {e["path"] for e in dimg.ls(img)}

    def excluded(p):
        return (p.endswith(".dat") or p == "deep" or p.startswith("deep/")
                or p == "names/lower.txt")
    want = {p for p in hard_tree_entries if not excluded(p)}
    assert paths == want, (f"missing {sorted(want - paths)[:10]}, "
                           f"not excluded {sorted(paths - want)[:10]}")
    assert "big" in paths and "names/UPPER.TXT" in paths
    assert all(not p.startswith("big/") for p in paths)


def test_sort_weights(dimg, tmp_path):
    """Higher weight = earlier LBA; paths in the sort file as the source was given (mkisofs)."""
    src = tmp_path / "sortsrc"
    for n in "abcdef":
        ch.write_file(src, n, ch.content(5000, "sort" + n))
    sortf = tmp_path / "weights"
    sortf.write_text(f"{src}/d 10\n{src}/a -10\n{src}/c 5\n{src}/f 7\n")
    img = ch.create_ok(dimg, tmp_path / "s.iso", [src], "--sort", sortf)
    lba = {p: v[0][0] for p, v in tl.xorriso_report_lba(img).items()}
    order = sorted("abcdef", key=lambda n: lba[n])
    assert order[:3] == ["d", "f", "c"] and order[-1] == "a", f"LBA order {order}: {lba}"
    # oracle check: genisoimage reads the same file the same way
    tl.require_tool("genisoimage")
    ref = tmp_path / "ref.iso"
    tl.run(["genisoimage", "-quiet", "-R", "-sort", sortf, "-o", ref, src])
    rl = {p: v[0][0] for p, v in tl.xorriso_report_lba(ref).items()}
    assert sorted("abcdef", key=lambda n: rl[n])[:3] == ["d", "f", "c"], "oracle check"


# --------------------------------------------------------------------------------------------
# owners and modes


def test_uid_gid_file_mode_dir_mode(dimg, tmp_path, hard_tree, hard_tree_entries):
    if os.geteuid() != 0:
        pytest.skip("owners are restored only as root")
    img = ch.create_ok(dimg, tmp_path / "o.iso", [hard_tree.root], "--uid", "1000", "--gid",
                       "2000", "--file-mode", "0640", "--dir-mode", "0750")
    dest = tmp_path / "x"
    ch.bsdtar_extract_ok(img, dest)
    want = {}
    for p, v in hard_tree_entries.items():
        if p in BSDTAR_KNOWN_WRONG:
            continue
        mode = {"file": "640", "dir": "750"}.get(v[0], v[1])
        want[p] = (v[0], mode) + v[2:]
    got = tl.manifest_entries(dest, exclude=BSDTAR_KNOWN_WRONG)
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got),
                             "--file-mode/--dir-mode via bsdtar")
    bad = {p: ug for p, ug in ch.owners(dest).items() if ug != (1000, 2000)}
    assert not bad, f"--uid/--gid not applied to {dict(list(bad.items())[:10])}"


def test_rationalize(dimg, tmp_path, hard_tree, hard_tree_entries):
    img = ch.create_ok(dimg, tmp_path / "r.iso", [hard_tree.root], "--rationalize")
    dest = tmp_path / "x"
    ch.bsdtar_extract_ok(img, dest)
    want = tl.transform_entries({p: v for p, v in hard_tree_entries.items()
                                 if p not in BSDTAR_KNOWN_WRONG}, rationalize=True)
    got = tl.manifest_entries(dest, exclude=BSDTAR_KNOWN_WRONG)
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got),
                             "--rationalize via bsdtar")
    ls = dimg.ls(img)
    bad = [(e["path"], e["uid"], e["gid"]) for e in ls if (e["uid"], e["gid"]) != (0, 0)]
    assert not bad, f"--rationalize: owners not 0: {bad[:10]}"


# --------------------------------------------------------------------------------------------
# padding


def test_pad_no_pad(dimg, tmp_path):
    src = tmp_path / "src"
    ch.write_file(src, "a.bin", ch.content(10000, "pad"))
    padded = ch.create_ok(dimg, tmp_path / "p.iso", [src], "--pad")
    plain = ch.create_ok(dimg, tmp_path / "n.iso", [src], "--no-pad")
    a, b = padded.read_bytes(), plain.read_bytes()
    assert len(a) - len(b) == ch.PAD_BYTES, f"--pad adds {len(a) - len(b)} bytes, not 150 sectors"
    assert a[-ch.PAD_BYTES:] == bytes(ch.PAD_BYTES)
    assert tl.IsoImage(bytearray(b)).volume_blocks() * 2048 == len(b), \
        "--no-pad: the file is exactly the volume"
    assert len(a) % 2048 == 0 and len(b) % 2048 == 0


# --------------------------------------------------------------------------------------------
# 7. multi-extent files (slow)


HUGE = int(4.2 * (1 << 30)) + 1          # 4.2 GiB, not a multiple of 2048
HUGE_MARKS = {0: b"HEAD-OF-HUGE", 0xFFFFF800 - 9: b"ACROSS-4GiB-BOUNDARY", 3 << 30: b"AT-3GiB",
              (1 << 32) + 5: b"PAST-4GiB", HUGE - 4: b"TAIL"}


@pytest.fixture(scope="module")
def huge(dimg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("huge")
    src = tmp / "hugesrc"
    src.mkdir()
    with open(src / "huge.bin", "wb") as f:
        f.truncate(HUGE)
        for off, b in HUGE_MARKS.items():
            f.seek(off)
            f.write(b)
    (src / "small.txt").write_text("after the huge file\n")
    os.utime(src / "huge.bin", (1300000000, 1300000000))
    state = {"src": src, "sha": ch.sparse_sha256(src / "huge.bin", HUGE), "img": tmp / "huge.iso"}
    memo = ch.Memo(tmp)
    state["get"] = lambda: memo.get("img", lambda: ch.create_ok(dimg, state["img"], [src],
                                                                timeout=1800))
    yield state
    for p in (state["img"], src / "huge.bin"):
        if p.exists():
            p.unlink()


@pytest.mark.slow
def test_huge_extents_layout(huge):
    """The file is recorded as consecutive multi-extent records in the plain tree: flag 0x80 on
    all but the last, non-final extents a multiple of 2048 bytes, sizes summing to the file."""
    img = huge["get"]()
    with open(img, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        iso = tl.IsoImage(mm)
        recs = _huge_records(iso)
    assert len(recs) >= 2, f"a {HUGE}-byte file needs at least 2 extents: {recs}"
    for r in recs[:-1]:
        assert r.flags & 0x80, "multi-extent flag missing on a non-final record"
        assert r.size % 2048 == 0 and r.size > 0
    assert not recs[-1].flags & 0x80
    assert sum(r.size for r in recs) == HUGE


def _huge_records(iso):
    return [r for r in iso.children(iso.root_record())
            if r.name.split(b";")[0].rstrip(b".") == b"HUGE.BIN"]


@pytest.mark.slow
def test_huge_readers_agree_on_size(dimg, huge):
    img = huge["get"]()
    sizes = {}
    ls = tl.ls_entries_by_path(dimg.ls(img))
    sizes["dimg ls"] = ls["huge.bin"]["size"]
    sizes["dimg ls joliet"] = tl.ls_entries_by_path(
        dimg.json("ls", "--json", "--view", "joliet", img))["huge.bin"]["size"]
    tl.require_tool("bsdtar")
    out = tl.run(["bsdtar", "-tvf", img]).stdout.decode()
    sizes["bsdtar"] = int([ln.split()[4] for ln in out.splitlines()
                           if ln.endswith((" huge.bin", " ./huge.bin"))][0])
    out = ch.xorriso_report(img, "-lsl", "/huge.bin")
    sizes["xorriso"] = int([ln.split()[4] for ln in out.splitlines() if "huge.bin" in ln
                            and ln.startswith("-")][0])
    tl.require_tool("7zz")
    out = tl.run(["7zz", "l", "-slt", img]).stdout.decode()
    blocks = out.split("\n\n")
    sizes["7zz"] = [int(re.search(r"^Size = (\d+)", b, re.M).group(1)) for b in blocks
                    if re.search(r"^Path = huge\.bin$", b, re.M)][0]
    listing = ch.isoinfo_listing(img)
    sizes["isoinfo -l (sum of extents)"] = sum(e["size"] for e in listing
                                               if e["name"].upper().startswith("HUGE.BIN"))
    listing = ch.isoinfo_listing(img, "-R")
    sizes["isoinfo -l -R (sum of extents)"] = sum(e["size"] for e in listing if e["name"] == "huge.bin")
    bad = {k: v for k, v in sizes.items() if v != HUGE}
    assert not bad, f"readers disagree with the source size {HUGE}: {bad}"


@pytest.mark.slow
def test_huge_pycdlib(huge):
    """pycdlib 1.x does not join extents, but must open the image and see the first extent
    flagged as multi-extent under all three names."""
    pycdlib = tl.require_python_module("pycdlib")
    img = huge["get"]()
    with open(img, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        extents = {r.size for r in _huge_records(tl.IsoImage(mm))}
    p = pycdlib.PyCdlib()
    p.open(str(img))
    try:
        for kw in ({"iso_path": "/HUGE.BIN;1"}, {"rr_path": "/huge.bin"}, {"joliet_path": "/huge.bin"}):
            rec = p.get_record(**kw)
            # (pycdlib 1.x returns one of the extent records: the first or, by RR name, the last)
            assert rec.get_data_length() in extents, (kw, rec.get_data_length(), extents)
        assert p.get_record(iso_path="/HUGE.BIN;1").file_flags & 0x80, "multi-extent flag"
        names = [c.file_identifier() for c in p.list_children(iso_path="/") if c is not None]
        assert b"SMALL.TXT;1" in names
        with p.open_file_from_iso(rr_path="/small.txt") as f:
            assert f.read() == b"after the huge file\n"
    finally:
        p.close()


@pytest.mark.slow
def test_huge_content_dimg_cat(dimg, huge):
    img = huge["get"]()
    sha, n, rc, err = ch.stream_sha256([dimg.path, "cat", img, "huge.bin"])
    assert rc == 0, err
    assert n == HUGE
    assert sha == huge["sha"], "dimg cat of the multi-extent file differs from the source"


@pytest.mark.slow
def test_huge_content_bsdtar(huge):
    tl.require_tool("bsdtar")
    img = huge["get"]()
    sha, n, rc, err = ch.stream_sha256(["bsdtar", "-x", "-O", "-f", img, "huge.bin"])
    assert rc == 0, err
    assert n == HUGE
    assert sha == huge["sha"], "bsdtar reads different content than the source"


# --------------------------------------------------------------------------------------------
# 8. errors: exit 1, message naming the file, nothing left behind


def _assert_failed_cleanly(r: tl.Result, out_dir: Path, before: list, name: str):
    assert r.returncode == 1, r.describe()
    assert name in r.err, f"the error must name {name!r}:\n" + r.describe()
    assert r.err.startswith("dimg") or ch.STANDIN, r.describe()
    assert ch.listdir(out_dir) == before, \
        f"files left behind: {sorted(set(ch.listdir(out_dir)) - set(before))}"


def test_existing_output_needs_force(dimg, tmp_path):
    src = tmp_path / "src"
    ch.write_file(src, "a.txt", b"a")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "exists.iso"
    out.write_bytes(b"do not overwrite me")
    r = ch.create(dimg, out, [src])
    _assert_failed_cleanly(r, out_dir, ["exists.iso"], "exists.iso")
    assert out.read_bytes() == b"do not overwrite me"
    ch.create_ok(dimg, out, [src], "--force")
    assert tl.IsoImage.load(out).volume_id().rstrip() == b"SRC"
    assert ch.listdir(out_dir) == ["exists.iso"]


def test_missing_source(dimg, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    r = ch.create(dimg, out_dir / "m.iso", [tmp_path / "no-such-source"])
    _assert_failed_cleanly(r, out_dir, [], "no-such-source")


def test_output_directory_not_writable(dimg, tmp_path):
    src = tmp_path / "src"
    ch.write_file(src, "a.txt", b"a" * 5000)
    out_dir = tmp_path / "ro"
    out_dir.mkdir()
    out_dir.chmod(0o555)
    try:
        r = ch.create(dimg, out_dir / "x.iso", [src], prefix=ch.setpriv_prefix())
    finally:
        out_dir.chmod(0o755)
    _assert_failed_cleanly(r, out_dir, [], "x.iso")


def test_unreadable_source_file(dimg, tmp_path):
    src = tmp_path / "src"
    ch.write_file(src, "fine.txt", b"fine")
    ch.write_file(src, "sub/secret.bin", b"secret" * 100, mode=0)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    r = ch.create(dimg, out_dir / "u.iso", [src], prefix=ch.setpriv_prefix())
    _assert_failed_cleanly(r, out_dir, [], "secret.bin")


def test_name_collision_between_sources(dimg, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ch.write_file(a, "dir/same.txt", b"from a")
    ch.write_file(b, "dir/same.txt", b"from b")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    r = ch.create(dimg, out_dir / "c.iso", [a, b])
    _assert_failed_cleanly(r, out_dir, [], "same.txt")


def test_name_collision_between_grafts(dimg, tmp_path):
    base = tmp_path / "base"
    ch.write_file(base, "x.txt", b"x")
    f1 = ch.write_file(tmp_path, "one.txt", b"1")
    f2 = ch.write_file(tmp_path, "two.txt", b"2")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    r = ch.create(dimg, out_dir / "c.iso", [base], "--map", f"/t/clash.txt={f1}",
                  "--map", f"/t/clash.txt={f2}")
    _assert_failed_cleanly(r, out_dir, [], "clash.txt")


def test_full_disk(dimg, tmp_path):
    src = tmp_path / "src"
    ch.write_file(src, "big.bin", ch.content(5 * 1024 * 1024, "full"))
    with ch.TmpfsMount(tmp_path / "small", size="1m") as mnt:
        r = ch.create(dimg, mnt / "full.iso", [src])
        left = ch.listdir(mnt)
    assert r.returncode == 1, r.describe()
    assert "full.iso" in r.err or "No space" in r.err or "space" in r.err.lower(), r.describe()
    assert left == [], f"files left on the full file system: {left}"


def _run_and_interfere(dimg, tmp_path, interfere):
    """Start dimg create on a tree whose first file (by sort weight and name) is 384 MiB of
    data and whose last is the victim; once the output has grown past 16 MiB (the scan is
    over, data is being written) stop dimg, call interfere(victim), continue it.
    Returns (result, out_dir, victim content)."""
    src = tmp_path / "src"
    src.mkdir()
    block = ch.content(1 << 20, "vanish")
    with open(src / "aaa_first.bin", "wb") as f:
        for i in range(384):
            f.write(block[:-8] + i.to_bytes(8, "little"))
    victim = src / "zzz_victim.bin"
    data = ch.content(300000, "victim")
    victim.write_bytes(data)
    sortf = tmp_path / "weights"
    sortf.write_text(f"{src}/aaa_first.bin 100\n{victim} -100\n")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    cmd = ch.create_cmd(dimg, out_dir / "v.iso", [src], ["--sort", str(sortf)])
    # output to files, not pipes: a full pipe must not be what stops dimg
    fout, ferr = open(tmp_path / "stdout", "w+b"), open(tmp_path / "stderr", "w+b")
    proc = subprocess.Popen([str(c) for c in cmd], stdout=fout, stderr=ferr,
                            stdin=subprocess.DEVNULL)

    def grown():
        for n in os.listdir(out_dir):
            try:
                if os.stat(out_dir / n).st_size > (16 << 20):
                    return True
            except FileNotFoundError:
                pass
        return False
    try:
        caught = ch.wait_stop_when(proc, grown)
        if caught:
            interfere(victim)
            os.kill(proc.pid, signal.SIGCONT)
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
        fout.close()
        ferr.close()
    r = tl.Result(cmd, proc.returncode, out, err)
    assert caught, "could not stop dimg while it wrote file data (it finished too early?):\n" + \
        r.describe()
    return r, out_dir, data


@pytest.mark.parametrize("how", ["unlink", "truncate"])
def test_source_file_vanishes_or_shrinks_while_writing(dimg, tmp_path, how):
    """A file that disappears (or shrinks) after the scan: either a clean failure (exit 1,
    message naming the file, no output) or - only if dimg had already read or opened it - an
    image with the file's original content. Never a silently corrupt image."""
    def interfere(victim):
        if how == "unlink":
            victim.unlink()
        else:
            os.truncate(victim, 0)
    r, out_dir, data = _run_and_interfere(dimg, tmp_path, interfere)
    if r.returncode == 0:
        img = out_dir / "v.iso"
        assert ch.listdir(out_dir) == ["v.iso"], ch.listdir(out_dir)
        got = dimg.ok("cat", img, "zzz_victim.bin").stdout
        assert got == data, (f"dimg create exited 0 after the source file was {how}ed, but the "
                             f"image holds {len(got)} bytes of other content:\n" + r.describe())
    else:
        _assert_failed_cleanly(r, out_dir, [], "zzz_victim.bin")
