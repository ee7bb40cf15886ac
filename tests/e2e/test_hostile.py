"""Hostile images: a genisoimage image patched at computed offsets (the PVD root record, the
directory records and their SUSP entries are parsed here, independently of dimg).

Every command must finish in under 5 s with exit 0 or 1 (never a signal, never a hang), and
`extract` must never create anything outside its -C directory: the image's absolute and relative
symlinks point at a sentinel directory next to the destination, which must stay empty.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import dimg_testlib as tl

pytestmark = pytest.mark.hostile

TIMEOUT = 5
BIG_ENTRIES = 80


@pytest.fixture(scope="session")
def box(tmp_path_factory):
    """box/sentinel is where a broken extractor would write; box/dest-* are destinations."""
    b = tmp_path_factory.mktemp("box")
    (b / "sentinel").mkdir()
    return b


@pytest.fixture(scope="session")
def base(box, tmp_path_factory):
    """The unpatched image and the names used for patching."""
    src = tmp_path_factory.mktemp("hostile-src") / "src"
    src.mkdir()
    abs_target = str(box / "sentinel" / "abs_payload")
    (src / "aa").write_bytes(b"AA-CONTENT\n")
    (src / "bb").write_bytes(b"BB-CONTENT\n")
    (src / "a_b").write_bytes(b"slash\n")
    (src / "n0x").write_bytes(b"nul\n")
    (src / "dd").mkdir()
    (src / "dd" / "inner").write_bytes(b"inner of dd\n")
    (src / "d1").mkdir()
    (src / "d1" / "in_d1").write_bytes(b"inner of d1\n")
    (src / "up_sentinel_evil").write_bytes(b"EVIL-RELATIVE\n")        # -> ../sentinel/evil
    (src / ("q" * len(abs_target))).write_bytes(b"EVIL-ABSOLUTE\n")    # -> abs_target
    os.symlink("../sentinel", src / "s1")
    (src / "s2").mkdir()
    (src / "s2" / "payload").write_bytes(b"THROUGH-SYMLINK\n")
    os.symlink(abs_target, src / "f1")
    (src / "f2").write_bytes(b"FILE-OVER-SYMLINK\n")
    (src / tl.LONG_NAME).write_bytes(b"long name needs a continuation area\n")
    (src / "big").mkdir()
    for i in range(BIG_ENTRIES):
        (src / "big" / f"file_with_a_longish_name_{i:03d}.txt").write_bytes(b"%d\n" % i * 50)
    img = tmp_path_factory.mktemp("hostile-img") / "base.iso"
    tl.make_genisoimage(src, img, ["-R", "-J"])
    return {"image": img, "src": src, "abs_target": abs_target}


def _patched(base, tmp_path, name, patch) -> Path:
    iso = tl.IsoImage.load(base["image"])
    patch(iso)
    out = tmp_path / f"{name}.iso"
    iso.save(out)
    assert out.read_bytes() != base["image"].read_bytes() or name.startswith("trunc"), \
        "the patch changed nothing"
    return out


def _check_result(r: tl.Result, image: Path, allow_ok=True):
    assert r.returncode >= 0, f"killed by signal {-r.returncode}:\n" + r.describe()
    assert r.returncode in ((0, 1) if allow_ok else (1,)), r.describe()
    if r.returncode == 1:
        first = r.err.splitlines()[0] if r.err else ""
        assert first.startswith(f"dimg: {image}: "), "error format:\n" + r.describe()


def _box_is_clean(box: Path):
    assert list((box / "sentinel").iterdir()) == [], "something was written outside -C"
    stray = [p.name for p in box.iterdir() if p.name != "sentinel" and not p.name.startswith("dest-")]
    assert stray == [], f"extract created {stray} next to the destination"


def _no_escape(dest: Path, box: Path):
    _box_is_clean(box)
    for dirpath, dirnames, filenames in os.walk(dest):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            # nothing below dest may be reached through a symlink inside dest
            real = Path(os.path.realpath(p.parent))
            assert real == dest.resolve() or dest.resolve() in real.parents, \
                f"{p} lies behind a symlink"


def run_everything(dimg, image: Path, box: Path, name: str, *, must_fail_extract=False,
                   cat_path="aa"):
    """info, ls -R --json, cat, extract: bounded, exit 0/1, nothing outside -C."""
    results = {}
    for args in (["info", "--json", image], ["ls", "-R", "--json", image],
                 ["ls", "-l", "-R", image], ["cat", image, cat_path]):
        r = dimg.run(*args, timeout=TIMEOUT)
        _check_result(r, image)
        results[args[0] + ("-l" if "-l" in args else "")] = r
    dest = box / f"dest-{name}"
    dest.mkdir()
    r = dimg.run("extract", "-C", dest, image, timeout=TIMEOUT)
    _check_result(r, image, allow_ok=not must_fail_extract)
    _no_escape(dest, box)
    results["extract"] = r
    results["dest"] = dest
    return results


def _rec(iso, name):
    if name == tl.LONG_NAME:
        # the NM of the long name continues in the CE area: match the part in the record
        for r in iso.children(iso.root_record()):
            if (iso.rr_name(r) or "").startswith(name[:20]):
                return r
    return iso.find_rr(iso.root_record(), name)


def _nm_offset(iso, rec):
    for off, sig, ln in iso.susp_entries(rec):
        if sig == b"NM":
            return off, ln
    raise AssertionError("no NM entry")


def _set_nm(iso, rec, new: bytes):
    off, ln = _nm_offset(iso, rec)
    assert ln - 5 == len(new), (ln, new)
    iso.data[off + 5: off + ln] = new


# --------------------------------------------------------------------------------------------


def test_base_image_is_fine(dimg, base, box):
    """The unpatched image reads fully (so every failure below is due to the patch)."""
    res = run_everything(dimg, base["image"], box, "base")
    assert res["extract"].returncode == 0, res["extract"].describe()
    got = tl.manifest(res["dest"], mtimes=False)
    want = tl.manifest(base["src"], mtimes=False)
    tl.assert_manifest_equal(want, got, "base image")
    shutil.rmtree(res["dest"])


def test_directory_loop(dimg, base, box, tmp_path):
    """A subdirectory whose extent is its parent's: the tree is infinite."""
    def patch(iso):
        root = iso.root_record()
        for r in iso.children(root):
            if r.is_dir and iso.rr_name(r) == "dd":
                iso.data[r.offset + 2: r.offset + 10] = tl.both_endian32(root.extent)
                iso.data[r.offset + 10: r.offset + 18] = tl.both_endian32(root.size)
    img = _patched(base, tmp_path, "loop", patch)
    run_everything(dimg, img, box, "loop")


def test_directory_loop_deeper(dimg, base, box, tmp_path):
    """dd/inner replaced by a directory pointing back at the root (a 2-cycle)."""
    def patch(iso):
        root = iso.root_record()
        dd = iso.find_rr(root, "dd")
        inner = iso.find_rr(dd, "inner")
        iso.data[inner.offset + 2: inner.offset + 10] = tl.both_endian32(root.extent)
        iso.data[inner.offset + 10: inner.offset + 18] = tl.both_endian32(root.size)
        iso.data[inner.offset + 25] |= 2
    img = _patched(base, tmp_path, "loop2", patch)
    run_everything(dimg, img, box, "loop2")


def test_joliet_directory_loop(dimg, base, box, tmp_path):
    def patch(iso):
        svd = iso.svd_offsets()[0]
        root = iso.root_record(svd)
        dd = iso.lookup("dd", svd)
        iso.data[dd.offset + 2: dd.offset + 10] = tl.both_endian32(root.extent)
    img = _patched(base, tmp_path, "jloop", patch)
    for args in (["ls", "-R", "--json", "--view", "joliet", img],):
        _check_result(dimg.run(*args, timeout=TIMEOUT), img)
    dest = box / "dest-jloop"
    dest.mkdir()
    r = dimg.run("extract", "--view", "joliet", "-C", dest, img, timeout=TIMEOUT)
    _check_result(r, img)
    _no_escape(dest, box)


def test_ce_pointing_at_itself(dimg, base, box, tmp_path):
    def patch(iso):
        rec = _rec(iso, tl.LONG_NAME)
        ce = [(o, ln) for o, s, ln in iso.susp_entries(rec) if s == b"CE"]
        assert ce, "oracle check: the 200-character name should need a CE"
        off, ln = ce[0]
        iso.data[off + 4: off + 12] = tl.both_endian32(off // tl.SECTOR)
        iso.data[off + 12: off + 20] = tl.both_endian32(off % tl.SECTOR)
        iso.data[off + 20: off + 28] = tl.both_endian32(ln)
    img = _patched(base, tmp_path, "celoop", patch)
    run_everything(dimg, img, box, "celoop")


@pytest.mark.parametrize("what", ["offset", "length", "block"])
def test_ce_out_of_bounds(dimg, base, box, tmp_path, what):
    def patch(iso):
        rec = _rec(iso, tl.LONG_NAME)
        off = [o for o, s, ln in iso.susp_entries(rec) if s == b"CE"][0]
        if what == "offset":
            iso.data[off + 12: off + 20] = tl.both_endian32(2047)
        elif what == "length":
            iso.data[off + 20: off + 28] = tl.both_endian32(0xFFFFFFFF)
        else:
            iso.data[off + 4: off + 12] = tl.both_endian32(0x7FFFFFFF)
    img = _patched(base, tmp_path, f"ce-{what}", patch)
    run_everything(dimg, img, box, f"ce-{what}")


@pytest.mark.parametrize("lba", [0x7FFFFFF0, 0xFFFFFFFF])
def test_extent_past_end(dimg, base, box, tmp_path, lba):
    def patch(iso):
        rec = _rec(iso, "aa")
        iso.data[rec.offset + 2: rec.offset + 10] = tl.both_endian32(lba)
    img = _patched(base, tmp_path, f"past-{lba:x}", patch)
    res = run_everything(dimg, img, box, f"past-{lba:x}", must_fail_extract=True)
    assert res["cat"].returncode == 1, "cat of a file whose data is past the end must fail"
    assert res["ls"].returncode == 0, "listing does not read file data"
    # everything else still extracted, the broken file reported once
    assert (res["dest"] / "bb").read_bytes() == b"BB-CONTENT\n"
    assert not (res["dest"] / "aa").exists() or (res["dest"] / "aa").stat().st_size == 0 or \
        (res["dest"] / "aa").read_bytes() != b"", "partial output must not look complete"
    assert "aa" in res["extract"].err


def test_data_length_ffffffff(dimg, base, box, tmp_path):
    def patch(iso):
        rec = _rec(iso, "bb")
        iso.data[rec.offset + 10: rec.offset + 18] = tl.both_endian32(0xFFFFFFFF)
    img = _patched(base, tmp_path, "len-ffffffff", patch)
    res = run_everything(dimg, img, box, "len-ffffffff", must_fail_extract=True, cat_path="bb")
    assert res["cat"].returncode == 1
    assert len(res["cat"].stdout) < 64 << 20


def test_directory_length_ffffffff(dimg, base, box, tmp_path):
    def patch(iso):
        rec = _rec(iso, "big")
        iso.data[rec.offset + 10: rec.offset + 18] = tl.both_endian32(0xFFFFFFFF)
    img = _patched(base, tmp_path, "dirlen", patch)
    run_everything(dimg, img, box, "dirlen", must_fail_extract=True)


@pytest.mark.parametrize("value", [0, 1, 512, 4096, 0xFFFF])
def test_logical_block_size(dimg, base, box, tmp_path, value):
    def patch(iso):
        off = iso.pvd_offset()
        iso.data[off + 128: off + 132] = tl.both_endian16(value)
    img = _patched(base, tmp_path, f"lbs-{value}", patch)
    res = run_everything(dimg, img, box, f"lbs-{value}")
    if res["ls"].returncode == 0:
        # a reader that ignores the field (or falls back to the Joliet SVD, whose block size
        # is intact) must then give a real, complete listing
        good = [tl.ls_paths(dimg.json("ls", "-R", "--json", "--view", v, base["image"]))
                for v in ("rr", "joliet")]
        assert tl.ls_paths(json_load(res["ls"])) in good


def json_load(r: tl.Result):
    import json
    return json.loads(r.stdout)


@pytest.mark.parametrize("length", [1, 20, 33])
def test_directory_record_too_short(dimg, base, box, tmp_path, length):
    def patch(iso):
        rec = _rec(iso, "bb")
        iso.data[rec.offset] = length
    img = _patched(base, tmp_path, f"short-{length}", patch)
    run_everything(dimg, img, box, f"short-{length}")


def test_root_record_garbage(dimg, base, box, tmp_path):
    def patch(iso):
        off = iso.pvd_offset() + 156
        iso.data[off + 2: off + 10] = tl.both_endian32(0xFFFFFFF0)
        iso.data[off + 10: off + 18] = tl.both_endian32(0xFFFFFFFF)
    img = _patched(base, tmp_path, "root", patch)
    res = run_everything(dimg, img, box, "root")
    assert res["ls"].returncode == 1 or json_load(res["ls"]) is not None


def test_volume_space_size_huge(dimg, base, box, tmp_path):
    def patch(iso):
        off = iso.pvd_offset()
        iso.data[off + 80: off + 88] = tl.both_endian32(0xFFFFFFFF)
    img = _patched(base, tmp_path, "vss", patch)
    run_everything(dimg, img, box, "vss")


# --- names that would escape the destination -----------------------------------------------


def test_nm_dotdot_directory(dimg, base, box, tmp_path):
    """The directory 'dd' renamed '..' by its NM entry: its child would land in box/."""
    img = _patched(base, tmp_path, "nm-dotdot",
                   lambda iso: _set_nm(iso, _rec(iso, "dd"), b".."))
    res = run_everything(dimg, img, box, "nm-dotdot", must_fail_extract=True)
    assert res["extract"].err.count("\n") >= 1


def test_nm_parent_flag(dimg, base, box, tmp_path):
    """NM with the PARENT flag (bit 2) and the directory's own name: means '..'."""
    def patch(iso):
        rec = _rec(iso, "dd")
        off, ln = _nm_offset(iso, rec)
        iso.data[off + 4] = 0x04
    img = _patched(base, tmp_path, "nm-parentflag", patch)
    run_everything(dimg, img, box, "nm-parentflag")


def test_nm_current_flag(dimg, base, box, tmp_path):
    """NM with the CURRENT flag (bit 1): the directory 'd1' would be called '.'."""
    def patch(iso):
        off, ln = _nm_offset(iso, _rec(iso, "d1"))
        iso.data[off + 4] = 0x02
    img = _patched(base, tmp_path, "nm-dot", patch)
    res = run_everything(dimg, img, box, "nm-dot")
    if res["ls"].returncode == 0:
        # RRIP NM flag bit 1 is CURRENT ("."), bit 2 is PARENT (".."): never show it as ".."
        paths = [e["path"] for e in json_load(res["ls"])]
        assert ".." not in paths, "NM CURRENT flag shown as '..'"


def test_nm_with_slash_relative(dimg, base, box, tmp_path):
    img = _patched(base, tmp_path, "nm-slash",
                   lambda iso: _set_nm(iso, _rec(iso, "up_sentinel_evil"), b"../sentinel/evil"))
    run_everything(dimg, img, box, "nm-slash", must_fail_extract=True)


def test_nm_with_slash_inside(dimg, base, box, tmp_path):
    img = _patched(base, tmp_path, "nm-slash2",
                   lambda iso: _set_nm(iso, _rec(iso, "a_b"), b"a/b"))
    res = run_everything(dimg, img, box, "nm-slash2", must_fail_extract=True)
    assert not (res["dest"] / "a").exists(), "a name with '/' must not create directories"


def test_nm_absolute(dimg, base, box, tmp_path):
    target = base["abs_target"].encode()
    img = _patched(base, tmp_path, "nm-abs",
                   lambda iso: _set_nm(iso, _rec(iso, "q" * len(target)), target))
    run_everything(dimg, img, box, "nm-abs", must_fail_extract=True)


def test_nm_with_nul(dimg, base, box, tmp_path):
    img = _patched(base, tmp_path, "nm-nul",
                   lambda iso: _set_nm(iso, _rec(iso, "n0x"), b"n\0x"))
    run_everything(dimg, img, box, "nm-nul", must_fail_extract=True)


def test_symlink_and_directory_same_name(dimg, base, box, tmp_path):
    """s1 -> ../sentinel (a symlink) and a directory also named s1 holding 'payload': the
    payload must not be written through the symlink."""
    img = _patched(base, tmp_path, "samename",
                   lambda iso: _set_nm(iso, _rec(iso, "s2"), b"s1"))
    run_everything(dimg, img, box, "samename")
    assert not (box / "sentinel" / "payload").exists()


def test_file_over_absolute_symlink(dimg, base, box, tmp_path):
    """f1 -> <box>/sentinel/abs_payload (symlink) and a regular file also named f1."""
    img = _patched(base, tmp_path, "fileoverlink",
                   lambda iso: _set_nm(iso, _rec(iso, "f2"), b"f1"))
    run_everything(dimg, img, box, "fileoverlink")
    assert not Path(base["abs_target"]).exists()


def test_extract_into_existing_symlink(dimg, base, box, tmp_path):
    """A symlink planted in the destination beforehand (dest/s2 -> ../sentinel): extracting
    s2/payload must not follow it."""
    dest = box / "dest-planted"
    dest.mkdir()
    os.symlink("../sentinel", dest / "s2")
    r = dimg.run("extract", "-C", dest, base["image"], timeout=TIMEOUT)
    _check_result(r, base["image"])
    _box_is_clean(box)


# --- truncation ----------------------------------------------------------------------------


def _big_dir_middle(base) -> int:
    iso = tl.IsoImage.load(base["image"])
    big = iso.find_rr(iso.root_record(), "big")
    assert big.size > tl.SECTOR, "oracle check: the big directory should span sectors"
    return big.extent * tl.SECTOR + big.size // 2 + 17


@pytest.mark.parametrize("where", ["20k", "40k", "mid-directory", "last-byte"])
def test_truncated(dimg, base, box, tmp_path, where):
    data = base["image"].read_bytes()
    cut = {"20k": 20 * 1024, "40k": 40 * 1024, "mid-directory": _big_dir_middle(base),
           "last-byte": len(data) - 1}[where]
    img = tmp_path / f"trunc-{where}.iso"
    img.write_bytes(data[:cut])
    # the image file ends before some of the data: nothing can claim full success
    res = run_everything(dimg, img, box, f"trunc-{where}",
                         must_fail_extract=where != "last-byte")
    if where == "20k":
        # no volume descriptor within 20 KiB: nothing to list; info may describe the bytes
        assert res["ls"].returncode == 1
        if res["info"].returncode == 0:
            assert json_load(res["info"]).get("format") != "iso9660", res["info"].describe()


def test_error_message_has_offset(dimg, base, tmp_path):
    """The documented error format: `dimg: IMAGE: message (at byte offset N)`."""
    data = base["image"].read_bytes()
    img = tmp_path / "t40k.iso"
    img.write_bytes(data[:40 * 1024])
    r = dimg.run("ls", "-R", img, timeout=TIMEOUT)
    assert r.returncode == 1, r.describe()
    assert re.search(rf"^dimg: {re.escape(str(img))}: .+\(at byte offset \d+\)$", r.err, re.M), \
        r.describe()


# --- a fuzz-like sweep: flip bytes in every directory sector ---------------------------------


def test_byte_flip_sweep(dimg, base, box, tmp_path):
    """Corrupt each byte of the root directory's first records in turn (deterministic);
    every run must stay bounded and exit 0/1."""
    iso = tl.IsoImage.load(base["image"])
    root = iso.root_record()
    start = root.extent * tl.SECTOR
    original = bytes(iso.data)
    positions = list(range(start, start + 300, 3))
    for i, pos in enumerate(positions):
        data = bytearray(original)
        data[pos] ^= 0xFF if i % 2 else 0x80
        img = tmp_path / "flip.iso"
        img.write_bytes(bytes(data))
        r = dimg.run("ls", "-R", "--json", img, timeout=TIMEOUT)
        assert r.returncode in (0, 1), f"byte {pos}: " + r.describe()
    dest = box / "dest-flip"
    dest.mkdir()
    r = dimg.run("extract", "-C", dest, img, timeout=TIMEOUT)
    assert r.returncode in (0, 1), r.describe()
    _no_escape(dest, box)


# --- escaping names in the Joliet and plain trees --------------------------------------------


def _set_record_name(iso, rec, new: bytes):
    assert len(new) == len(rec.name), (rec.name, new)
    iso.data[rec.offset + 33: rec.offset + 33 + len(new)] = new


@pytest.mark.parametrize("view,target,new", [
    ("joliet", "dd", "..".encode("utf-16-be")),
    ("joliet", "a_b", "a/b".encode("utf-16-be")),
    ("joliet", "up_sentinel_evil", "../sentinel/evil".encode("utf-16-be")),
    ("joliet", "n0x", "n\0x".encode("utf-16-be")),
    ("plain", "DD", b".."),
    ("plain", "A_B", b"A/B.;1"),
], ids=["joliet-dotdot", "joliet-slash", "joliet-up", "joliet-nul", "plain-dotdot", "plain-slash"])
def test_escaping_names_other_views(dimg, base, box, tmp_path, view, target, new):
    def patch(iso):
        if view == "joliet":
            svd = iso.svd_offsets()[0]
            rec = iso.lookup(target, svd)
        else:
            rec = [r for r in iso.children(iso.root_record())
                   if r.name.split(b";")[0].rstrip(b".") == target.encode()][0]
        _set_record_name(iso, rec, new)
    name = f"{view}-{target}"
    img = _patched(base, tmp_path, name, patch)
    for args in (["ls", "-R", "--json", "--view", view, img], ["info", "--json", img]):
        _check_result(dimg.run(*args, timeout=TIMEOUT), img)
    dest = box / f"dest-{name}"
    dest.mkdir()
    r = dimg.run("extract", "--view", view, "-C", dest, img, timeout=TIMEOUT)
    _check_result(r, img, allow_ok=False)
    _no_escape(dest, box)


def test_joliet_odd_name_length(dimg, base, box, tmp_path):
    """A Joliet identifier of odd byte length (not UTF-16): bounded, nothing outside -C."""
    def patch(iso):
        svd = iso.svd_offsets()[0]
        rec = iso.lookup("bb", svd)
        iso.data[rec.offset + 32] = 3
    img = _patched(base, tmp_path, "joliet-odd", patch)
    _check_result(dimg.run("ls", "-R", "--json", "--view", "joliet", img, timeout=TIMEOUT), img)
    dest = box / "dest-joliet-odd"
    dest.mkdir()
    _check_result(dimg.run("extract", "--view", "joliet", "-C", dest, img, timeout=TIMEOUT), img)
    _no_escape(dest, box)
