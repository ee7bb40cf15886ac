"""`dimg mkisofs ...`: genisoimage/xorrisofs options with their meaning. Every option has a test
that checks its effect; where genisoimage (or, for xorriso-only options, `xorriso -as mkisofs`)
has the option, the same command is run there and the relevant property compared.

Readers: bsdtar (Rock Ridge path lists and extraction), isoinfo (-d descriptor strings, -l raw
ISO 9660 names), pycdlib (Joliet names), xorriso (El Torito, system area, file LBAs) and the
raw descriptor/record parsers of dimg_testlib/create_helpers.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import pytest

import create_helpers as ch
import dimg_testlib as tl
from iso_matrix import BSDTAR_KNOWN_WRONG

SECRET = b"SECRET-DATA-7f3a9c-hidden-but-present\n"
JSECRET = b"JOLIET-HIDDEN-DATA-41d2e8\n"


# --------------------------------------------------------------------------------------------
# trees and oracles


@pytest.fixture(scope="module")
def msrc(tmp_path_factory):
    """A small tree for option tests (absolute path; names chosen to show each option)."""
    root = tmp_path_factory.mktemp("mkisofs") / "msrc"
    t = 1600000000
    files = {
        "a.txt": b"a\n", "x.log": b"log at top\n", "secret.txt": SECRET, "jhide.txt": JSECRET,
        "lower.case.name.txt": b"dots\n", "abcdefghijklmnopqrstuvw.txt": b"27 chars\n",
        "UPPER_case_Name_123.dat": b"mixed\n", "sub/b.txt": b"b\n", "sub/deeper/c.log": b"c\n",
        "keep/me.txt": b"keep\n", "a/b/c/d/e/f/g/h/i/j/leaf.txt": b"deep leaf\n",
    }
    for i, (rel, data) in enumerate(sorted(files.items())):
        ch.write_file(root, rel, data, t + i)
    os.symlink("a.txt", root / "link")
    os.symlink("sub", root / "dirlink")
    for p in sorted(root.rglob("*"), key=lambda p: -len(p.parts)):
        if p.is_dir() and not p.is_symlink():
            os.utime(p, (t, t))
    os.utime(root, (t, t))
    return root


def genisoimage(out, *args, cwd=None) -> Path:
    """genisoimage as the oracle (UTC: see dimg_testlib.make_genisoimage)."""
    tl.require_tool("genisoimage")
    tl.run(["genisoimage", "-quiet", "-o", out, *args], env={"TZ": "UTC", "LC_ALL": "C.UTF-8"},
           cwd=cwd, timeout=300)
    return Path(out)


def xorrisofs(out, *args, cwd=None) -> Path:
    tl.require_tool("xorriso")
    tl.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", out, *args],
           env={"TZ": tl.MAKER_TZ, "LC_ALL": "C.UTF-8"}, cwd=cwd, timeout=300)
    return Path(out)


def dimg_iso(dimg, out, *args, cwd=None) -> Path:
    ch.mkisofs_ok(dimg, "-o", out, *args, cwd=cwd)
    assert Path(out).is_file()
    return Path(out)


def rr_paths(image) -> set[str]:
    """Paths of the default (Rock Ridge) tree according to bsdtar."""
    tl.require_tool("bsdtar")
    cp = tl.run(["bsdtar", "-tf", image])
    out = set()
    for line in cp.stdout.decode("utf-8", "surrogateescape").splitlines():
        p = line.rstrip("/")
        if p.startswith("./"):
            p = p[2:]
        if p and p != ".":
            out.add(p)
    return out


def joliet_names(image) -> set[str]:
    """Joliet paths according to pycdlib (a ';1' version, which Joliet allows, removed)."""
    return {re.sub(r";\d+$", "", p) for p in tl.pycdlib_paths(image, joliet=True)}


def joliet_names_genisoimage(image, src) -> set[str]:
    """genisoimage puts symlinks into Joliet as empty files; dimg (like xorriso) leaves them
    out: the symlinks of the source are not compared."""
    links = {str(p.relative_to(src)) for p in Path(src).rglob("*") if p.is_symlink()}
    return joliet_names(image) - links


def plain_names(image) -> list[str]:
    """Raw identifiers of the primary tree as isoinfo -l prints them (with ';1' if any)."""
    return sorted(e["path"] for e in ch.isoinfo_listing(image))


def pvd(image) -> tl.IsoImage:
    return tl.IsoImage.load(image)


# --------------------------------------------------------------------------------------------
# -o -R -r -J -joliet-long


def test_o_R_roundtrip(dimg, tmp_path, hard_tree, hard_tree_entries):
    """-o writes the image; -R records the real modes, owners, times; bsdtar gets the tree."""
    img = dimg_iso(dimg, tmp_path / "r.iso", "-R", hard_tree.root)
    dest = ch.bsdtar_extract_ok(img, tmp_path / "x")
    want = {p: v for p, v in hard_tree_entries.items() if p not in BSDTAR_KNOWN_WRONG}
    tl.assert_manifest_equal(tl.format_manifest(want),
                             tl.manifest(dest, exclude=BSDTAR_KNOWN_WRONG), "mkisofs -R via bsdtar")
    if os.geteuid() == 0:
        assert ch.owners(dest) == ch.owners(hard_tree.root)
    assert tl.hardlink_groups(dest) == tl.hardlink_groups(hard_tree.root)


def test_r_rationalized(dimg, tmp_path, hard_tree, hard_tree_entries):
    """-r: owners 0, modes rationalized; the same tree as genisoimage -r gives."""
    img = dimg_iso(dimg, tmp_path / "r.iso", "-r", hard_tree.root)
    dest = ch.bsdtar_extract_ok(img, tmp_path / "x")
    got = tl.manifest_entries(dest, exclude=BSDTAR_KNOWN_WRONG)
    want = tl.transform_entries({p: v for p, v in hard_tree_entries.items()
                                 if p not in BSDTAR_KNOWN_WRONG}, rationalize=True)
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got), "mkisofs -r")
    if os.geteuid() == 0:
        bad = {p: ug for p, ug in ch.owners(dest).items() if ug != (0, 0)}
        assert not bad, f"-r must record owner 0: {dict(list(bad.items())[:10])}"
    ref = genisoimage(tmp_path / "g.iso", "-r", hard_tree.root)
    refx = ch.bsdtar_extract_ok(ref, tmp_path / "gx")
    tl.assert_manifest_equal(tl.format_manifest(tl.manifest_entries(refx, exclude=BSDTAR_KNOWN_WRONG)),
                             tl.format_manifest(got), "mkisofs -r vs genisoimage -r")


def test_J_joliet(dimg, tmp_path, msrc):
    img = dimg_iso(dimg, tmp_path / "j.iso", "-R", "-J", msrc)
    assert ch.joliet_svd_offsets(pvd(img)), "-J: no Joliet SVD"
    assert "Joliet with UCS level 3 found" in ch.isoinfo_d(img)["_text"]
    ref = genisoimage(tmp_path / "g.iso", "-R", "-J", msrc)
    assert joliet_names(img) == joliet_names_genisoimage(ref, msrc)
    no = dimg_iso(dimg, tmp_path / "noj.iso", "-R", msrc)
    assert not ch.joliet_svd_offsets(pvd(no)), "without -J there must be no Joliet tree"


def test_joliet_long(dimg, tmp_path):
    src = tmp_path / "jl"
    name103 = "l" * 99 + ".txt"
    name90 = "q" * 86 + ".txt"
    ch.write_file(src, name103, b"103")
    ch.write_file(src, name90, b"90")
    img = dimg_iso(dimg, tmp_path / "jl.iso", "-R", "-J", "-joliet-long", src)
    assert joliet_names(img) == {name103, name90}
    short = dimg_iso(dimg, tmp_path / "js.iso", "-R", "-J", src)
    names = joliet_names(short)
    assert len(names) == 2 and all(len(n) <= 64 for n in names), names
    ref = genisoimage(tmp_path / "g.iso", "-R", "-J", "-joliet-long", src)
    assert joliet_names(ref) == {name103, name90}, "oracle check"


# --------------------------------------------------------------------------------------------
# ISO 9660 names: -l -iso-level -U -N -D


def _idents(image) -> dict:
    """{raw identifier path: record} of the primary tree, without Rock Ridge CL placeholders."""
    iso = pvd(image)
    return {b"/".join(c).decode("latin-1"): r for c, r in ch.raw_walk(iso)
            if not ch.is_cl_placeholder(iso, r)}


def test_l_long_names_at_level_1(dimg, tmp_path, msrc):
    """-l: 31-character names even at level 1 (as genisoimage -l)."""
    img = dimg_iso(dimg, tmp_path / "l.iso", "-R", "-iso-level", "1", "-l", msrc)
    names = set(_idents(img))
    assert "ABCDEFGHIJKLMNOPQRSTUVW.TXT;1" in names, sorted(names)
    ref = genisoimage(tmp_path / "g.iso", "-R", "-iso-level", "1", "-l", msrc)
    assert "ABCDEFGHIJKLMNOPQRSTUVW.TXT;1" in set(_idents(ref)), "oracle check"
    without = set(_idents(dimg_iso(dimg, tmp_path / "n.iso", "-R", "-iso-level", "1", msrc)))
    assert "ABCDEFGHIJKLMNOPQRSTUVW.TXT;1" not in without
    for p in without:
        assert ch.level_violation(p.rsplit("/", 1)[-1].encode(), ";" not in p, 1) is None, p


@pytest.mark.parametrize("level", [1, 2, 3])
def test_iso_level(dimg, tmp_path, msrc, level):
    img = dimg_iso(dimg, tmp_path / "lv.iso", "-R", "-iso-level", str(level), msrc)
    recs = _idents(img)
    bad = [(p, ch.level_violation(p.rsplit("/", 1)[-1].encode(), r.is_dir, level))
           for p, r in recs.items()
           if ch.level_violation(p.rsplit("/", 1)[-1].encode(), r.is_dir, level)]
    assert not bad, bad
    ref = genisoimage(tmp_path / "g.iso", "-R", "-iso-level", str(level), msrc)
    assert sorted(p for p, r in recs.items() if not r.is_dir) == \
        sorted(p for p, r in _idents(ref).items() if not r.is_dir), \
        "the same plain identifiers as genisoimage for names that do not collide"


def test_U_untranslated(dimg, tmp_path, msrc):
    """-U: names kept as they are (lower case, several dots, no version)."""
    img = dimg_iso(dimg, tmp_path / "u.iso", "-R", "-U", msrc)
    names = plain_names(img)
    assert "lower.case.name.txt" in names and "sub/b.txt" in names, names
    assert "abcdefghijklmnopqrstuvw.txt" in names and "UPPER_case_Name_123.dat" in names, names
    ref = genisoimage(tmp_path / "g.iso", "-R", "-U", msrc)

    def users(ns):   # the relocation directory's own name is not what -U is about
        return [n for n in ns if not n.lower().startswith("rr_moved")]
    assert users(names) == users(plain_names(ref))


def test_N_no_version_numbers(dimg, tmp_path, msrc):
    img = dimg_iso(dimg, tmp_path / "n.iso", "-R", "-N", msrc)
    names = plain_names(img)
    assert not [n for n in names if ";" in n], names
    assert "A.TXT" in names, names
    with_v = plain_names(dimg_iso(dimg, tmp_path / "v.iso", "-R", msrc))
    assert "A.TXT;1" in with_v, with_v
    ref = genisoimage(tmp_path / "g.iso", "-R", "-N", msrc)
    assert names == plain_names(ref)


def test_D_no_deep_relocation(dimg, tmp_path, msrc):
    img = dimg_iso(dimg, tmp_path / "d.iso", "-R", "-D", msrc)
    names = plain_names(img)
    assert "A/B/C/D/E/F/G/H/I/J/LEAF.TXT;1" in names, names
    assert not [n for n in names if n.upper().startswith("RR_MOVED")], names
    relocated = plain_names(dimg_iso(dimg, tmp_path / "r.iso", "-R", msrc))
    assert [n for n in relocated if n.upper().startswith("RR_MOVED")], \
        "without -D the 11-level chain must be relocated"
    ref = genisoimage(tmp_path / "g.iso", "-R", "-D", msrc)
    assert names == plain_names(ref)
    assert "a/b/c/d/e/f/g/h/i/j/leaf.txt" in rr_paths(img)


# --------------------------------------------------------------------------------------------
# descriptor strings: -V -A -P -p -sysid -volset


DESCRIPTOR_OPTS = [("-V", "volume_id", "Volume id", "MKISOFS_VOL"),
                   ("-A", "application_id", "Application id", "SOME APPLICATION"),
                   ("-P", "publisher_id", "Publisher id", "SOME PUBLISHER"),
                   ("-p", "preparer_id", "Data preparer id", "SOME PREPARER"),
                   ("-sysid", "system_id", "System id", "SOMESYSTEM"),
                   ("-volset", "volume_set_id", "Volume set id", "SOME_VOLUME_SET")]


@pytest.mark.parametrize("opt,field,key,value", DESCRIPTOR_OPTS, ids=[o[0] for o in DESCRIPTOR_OPTS])
def test_descriptor_option(dimg, tmp_path, msrc, opt, field, key, value):
    img = dimg_iso(dimg, tmp_path / "d.iso", "-R", opt, value, msrc)
    assert ch.pvd_field(pvd(img), field) == value
    assert ch.isoinfo_d(img)[key] == value
    ref = genisoimage(tmp_path / "g.iso", "-R", opt, value, msrc)
    assert ch.pvd_field(pvd(ref), field) == value, "oracle check"


# --------------------------------------------------------------------------------------------
# what goes in: -graft-points -path-list -m -x -exclude -f -follow-links


def test_graft_points(dimg, tmp_path, msrc):
    f = ch.write_file(tmp_path, "loose.txt", b"loose\n")
    args = ["-R", "-graft-points", f"/x/y={msrc}/sub", f"/z.txt={f}", f"{msrc}/keep"]
    img = dimg_iso(dimg, tmp_path / "g.iso", *args)
    paths = rr_paths(img)
    assert paths == {"x", "x/y", "x/y/b.txt", "x/y/deeper", "x/y/deeper/c.log", "z.txt", "me.txt"}, paths
    assert paths == rr_paths(genisoimage(tmp_path / "ref.iso", *args))
    # without -graft-points an '=' is part of a file name
    odd = tmp_path / "odd"
    ch.write_file(odd, "a=b", b"eq\n")
    img2 = dimg_iso(dimg, tmp_path / "g2.iso", "-R", odd)
    assert rr_paths(img2) == {"a=b"}


def test_path_list(dimg, tmp_path, msrc):
    other = tmp_path / "other"
    ch.write_file(other, "sub/extra.txt", b"extra\n")
    ch.write_file(other, "top.txt", b"top\n")
    lst = tmp_path / "list"
    lst.write_text(f"{msrc}/sub\n{other}\n")
    img = dimg_iso(dimg, tmp_path / "p.iso", "-R", "-path-list", lst)
    paths = rr_paths(img)
    assert paths == {"b.txt", "deeper", "deeper/c.log", "sub", "sub/extra.txt", "top.txt"}, paths
    assert paths == rr_paths(genisoimage(tmp_path / "ref.iso", "-R", "-path-list", lst))
    lst2 = tmp_path / "list2"
    lst2.write_text(f"/in/here={msrc}/keep\n")
    img2 = dimg_iso(dimg, tmp_path / "p2.iso", "-R", "-graft-points", "-path-list", lst2)
    assert rr_paths(img2) == {"in", "in/here", "in/here/me.txt"}


@pytest.mark.parametrize("opt,pattern,gone", [
    ("-m", "*.log", {"x.log", "sub/deeper/c.log"}),
    ("-m", "deeper", {"sub/deeper", "sub/deeper/c.log"}),
    ("-x", "{src}/sub", {"sub", "sub/b.txt", "sub/deeper", "sub/deeper/c.log"}),
    ("-exclude", "{src}/keep", {"keep", "keep/me.txt"}),
], ids=["m-glob", "m-dirname", "x-path", "exclude-path"])
def test_exclusion(dimg, tmp_path, msrc, opt, pattern, gone):
    pattern = pattern.format(src=msrc)
    img = dimg_iso(dimg, tmp_path / "e.iso", "-R", opt, pattern, msrc)
    everything = rr_paths(dimg_iso(dimg, tmp_path / "all.iso", "-R", msrc))
    assert gone <= everything
    assert rr_paths(img) == everything - gone
    assert rr_paths(img) == rr_paths(genisoimage(tmp_path / "ref.iso", "-R", opt, pattern, msrc))


@pytest.mark.parametrize("opt", ["-f", "-follow-links"])
def test_follow_links(dimg, tmp_path, msrc, opt):
    img = dimg_iso(dimg, tmp_path / "f.iso", "-R", opt, msrc)
    ls = tl.ls_entries_by_path(dimg.ls(img))
    assert ls["link"]["type"] == "file", ls["link"]
    assert dimg.ok("cat", img, "link").stdout == b"a\n"
    assert ls["dirlink"]["type"] == "dir", ls["dirlink"]
    assert "dirlink/deeper/c.log" in ls
    cp = tl.run(["bsdtar", "-x", "-O", "-f", img, "link"])
    assert cp.stdout == b"a\n"
    # (genisoimage -f shares the directory's extent, which bsdtar refuses; xorriso copies it)
    assert rr_paths(img) == rr_paths(xorrisofs(tmp_path / "ref.iso", "-R", "-f", msrc))
    plain = tl.ls_entries_by_path(dimg.ls(dimg_iso(dimg, tmp_path / "n.iso", "-R", msrc)))
    assert plain["link"]["type"] == "symlink" and plain["link"]["target"] == "a.txt"


# --------------------------------------------------------------------------------------------
# -hide -hide-joliet


def test_hide(dimg, tmp_path, msrc):
    """-hide: not in the ISO 9660/Rock Ridge tree, still in Joliet, data written."""
    img = dimg_iso(dimg, tmp_path / "h.iso", "-R", "-J", "-hide", "secret.txt", msrc)
    assert "secret.txt" not in rr_paths(img)
    assert "SECRET.TXT;1" not in plain_names(img)
    assert "secret.txt" in joliet_names(img)
    assert SECRET in img.read_bytes(), "-hide must keep the file's data in the image"
    assert dimg.ok("cat", "--view", "joliet", img, "secret.txt").stdout == SECRET
    ref = genisoimage(tmp_path / "g.iso", "-R", "-J", "-hide", "secret.txt", msrc)
    assert rr_paths(img) == rr_paths(ref)
    assert joliet_names(img) == joliet_names_genisoimage(ref, msrc)


def test_hide_joliet(dimg, tmp_path, msrc):
    img = dimg_iso(dimg, tmp_path / "hj.iso", "-R", "-J", "-hide-joliet", "jhide.txt", msrc)
    assert "jhide.txt" in rr_paths(img)
    assert "jhide.txt" not in joliet_names(img)
    assert dimg.ok("cat", img, "jhide.txt").stdout == JSECRET
    ref = genisoimage(tmp_path / "g.iso", "-R", "-J", "-hide-joliet", "jhide.txt", msrc)
    assert rr_paths(img) == rr_paths(ref)
    assert joliet_names(img) == joliet_names_genisoimage(ref, msrc)


# --------------------------------------------------------------------------------------------
# -sort


def test_sort(dimg, tmp_path):
    src = tmp_path / "sortsrc"
    for n in "abcdef":
        ch.write_file(src, n, ch.content(5000, "msort" + n))
    sortf = tmp_path / "weights"
    sortf.write_text(f"{src}/d 10\n{src}/a -10\n{src}/c 5\n{src}/f 7\n")
    img = dimg_iso(dimg, tmp_path / "s.iso", "-R", "-sort", sortf, src)
    lba = {p: v[0][0] for p, v in tl.xorriso_report_lba(img).items()}
    order = sorted("abcdef", key=lambda n: lba[n])
    ref = genisoimage(tmp_path / "g.iso", "-R", "-sort", sortf, src)
    rl = {p: v[0][0] for p, v in tl.xorriso_report_lba(ref).items()}
    ref_order = sorted("abcdef", key=lambda n: rl[n])
    assert ref_order[:3] == ["d", "f", "c"] and ref_order[-1] == "a", f"oracle check {ref_order}"
    assert order[:3] == ["d", "f", "c"] and order[-1] == "a", f"LBA order {order}"


# --------------------------------------------------------------------------------------------
# -quiet -v -input-charset


def test_quiet(dimg, tmp_path, msrc):
    r = ch.mkisofs_ok(dimg, "-quiet", "-R", "-o", tmp_path / "q.iso", msrc)
    assert r.stdout == b"" and r.stderr == b"", r.describe()


def test_verbose(dimg, tmp_path, msrc):
    quiet = ch.mkisofs_ok(dimg, "-quiet", "-R", "-o", tmp_path / "q.iso", msrc)
    normal = ch.mkisofs_ok(dimg, "-R", "-o", tmp_path / "n.iso", msrc)
    verbose = ch.mkisofs_ok(dimg, "-v", "-R", "-o", tmp_path / "v.iso", msrc)
    size = lambda r: len(r.stdout) + len(r.stderr)  # noqa: E731
    assert size(verbose) > size(normal) >= size(quiet), \
        (size(quiet), size(normal), size(verbose), verbose.describe())


def test_input_charset_latin1(dimg, tmp_path):
    """-input-charset iso8859-1: a byte 0xE9 in a file name is 'é' in Joliet; Rock Ridge keeps
    the bytes."""
    src = tmp_path / "latin"
    src.mkdir()
    (src / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"latin-1 name\n")
    img = dimg_iso(dimg, tmp_path / "l.iso", "-R", "-J", "-input-charset", "iso8859-1", src)
    assert joliet_names(img) == {"caf\u00e9.txt"}
    iso = pvd(img)
    (rec,) = iso.children(iso.root_record())
    assert b"".join(e[5:] for sig, e in ch.susp_entries(iso, rec) if sig == b"NM") == b"caf\xe9.txt"
    ref = genisoimage(tmp_path / "g.iso", "-R", "-J", "-input-charset", "iso8859-1", src)
    assert joliet_names(ref) == {"caf\u00e9.txt"}, "oracle check"


def test_input_charset_utf8(dimg, tmp_path):
    src = tmp_path / "utf8"
    names = {"caf\u00e9.txt", "\u65e5\u672c\u8a9e.txt", "\u00c5ngstr\u00f6m.txt"}
    for n in names:
        ch.write_file(src, n, n.encode())
    img = dimg_iso(dimg, tmp_path / "u.iso", "-R", "-J", "-input-charset", "utf-8", src)
    assert joliet_names(img) == names
    assert rr_paths(img) == names


# --------------------------------------------------------------------------------------------
# El Torito: -b -c -no-emul-boot -boot-load-size -boot-info-table -hard-disk-boot -no-boot
#            -eltorito-alt-boot -e -eltorito-platform


@pytest.fixture(scope="module")
def bsrc(tmp_path_factory):
    root = tmp_path_factory.mktemp("mkisofs-boot") / "bsrc"
    ch.write_file(root, "boot/boot.bin", ch.content(6144, "bootbin"), 1600000000)
    ch.write_file(root, "efi.img", ch.content(1024 * 1024, "efiimg"), 1600000000)
    hd = bytearray(1 << 20)                 # a hard disk image with one partition
    hd[:4] = b"HDBT"
    hd[446:462] = bytes([0x80, 1, 1, 0, 0x83, 0x3F, 0x20, 0x1F]) + struct.pack("<II", 63, 2048 - 63)
    hd[510:512] = b"\x55\xaa"
    ch.write_file(root, "hd.img", bytes(hd), 1600000000)
    ch.write_file(root, "readme.txt", b"boot options\n", 1600000000)
    return root


def _entries(image):
    keys = ("platform", "bootable", "emulation", "load_size", "path")
    return [{k: e[k] for k in keys} for e in tl.xorriso_el_torito(image)]


def _catalog_path(image):
    text = ch.xorriso_report(image, "-report_el_torito", "plain")
    m = re.search(r"^El Torito cat path : (.*)$", text, re.M)
    return m.group(1).strip() if m else None


def test_b_c_no_emul_boot_load_size_info_table(dimg, tmp_path, bsrc):
    args = ["-R", "-b", "boot/boot.bin", "-c", "boot/boot.cat", "-no-emul-boot",
            "-boot-load-size", "4", "-boot-info-table"]
    img = dimg_iso(dimg, tmp_path / "b.iso", *args, bsrc)
    ref = genisoimage(tmp_path / "g.iso", *args, bsrc)
    assert _entries(img) == _entries(ref) == [{"platform": "BIOS", "bootable": True,
                                               "emulation": "none", "load_size": 4,
                                               "path": "/boot/boot.bin"}]
    assert _catalog_path(img) == "/boot/boot.cat"
    # boot info table
    lba = tl.xorriso_report_lba(img)["boot/boot.bin"][0][0]
    orig = (bsrc / "boot/boot.bin").read_bytes()
    data = img.read_bytes()[lba * 2048: lba * 2048 + len(orig)]
    pvd_lba, file_lba, length, csum = struct.unpack_from("<IIII", data, 8)
    assert (pvd_lba, file_lba, length) == (16, lba, len(orig))
    assert csum == sum(struct.unpack(f"<{(len(orig) - 64) // 4}I", orig[64:])) & 0xFFFFFFFF
    # without -boot-info-table the file is untouched; -boot-load-size is honoured
    plain = dimg_iso(dimg, tmp_path / "p.iso", "-R", "-b", "boot/boot.bin", "-no-emul-boot",
                     "-boot-load-size", "8", bsrc)
    assert _entries(plain)[0]["load_size"] == 8
    lba = tl.xorriso_report_lba(plain)["boot/boot.bin"][0][0]
    assert plain.read_bytes()[lba * 2048: lba * 2048 + len(orig)] == orig


def test_hard_disk_boot(dimg, tmp_path, bsrc):
    args = ["-R", "-b", "hd.img", "-hard-disk-boot", "-c", "boot.cat"]
    img = dimg_iso(dimg, tmp_path / "hd.iso", *args, bsrc)
    ref = genisoimage(tmp_path / "g.iso", *args, bsrc)
    assert _entries(ref)[0]["emulation"] == "hd", "oracle check"
    assert _entries(img) == _entries(ref)
    assert dimg.info(img)["boot"]["entries"][0]["emulation"] in ("hd", "hard-disk")


def test_no_boot(dimg, tmp_path, bsrc):
    args = ["-R", "-b", "boot/boot.bin", "-no-emul-boot", "-boot-load-size", "4", "-no-boot",
            "-c", "boot.cat"]
    img = dimg_iso(dimg, tmp_path / "nb.iso", *args, bsrc)
    ref = genisoimage(tmp_path / "g.iso", *args, bsrc)
    assert _entries(ref)[0]["bootable"] is False, "oracle check"
    assert _entries(img) == _entries(ref)


def test_eltorito_alt_boot_and_e(dimg, tmp_path, bsrc):
    args = ["-R", "-b", "boot/boot.bin", "-no-emul-boot", "-boot-load-size", "4",
            "-c", "boot.cat", "-eltorito-alt-boot", "-e", "efi.img", "-no-emul-boot"]
    img = dimg_iso(dimg, tmp_path / "e.iso", *args, bsrc)
    ref = xorrisofs(tmp_path / "x.iso", *args, bsrc)
    assert [e["platform"] for e in _entries(ref)] == ["BIOS", "UEFI"], "oracle check"
    assert _entries(img) == _entries(ref)
    only_e = dimg_iso(dimg, tmp_path / "eo.iso", "-R", "-e", "efi.img", "-no-emul-boot", bsrc)
    assert [(e["platform"], e["path"]) for e in _entries(only_e)] == [("UEFI", "/efi.img")]


def test_eltorito_platform(dimg, tmp_path, bsrc):
    args = ["-R", "-b", "boot/boot.bin", "-no-emul-boot", "-boot-load-size", "4",
            "-c", "boot.cat", "-eltorito-alt-boot", "-eltorito-platform", "efi",
            "-b", "efi.img", "-no-emul-boot"]
    img = dimg_iso(dimg, tmp_path / "p.iso", *args, bsrc)
    ref = xorrisofs(tmp_path / "x.iso", *args, bsrc)
    assert [e["platform"] for e in _entries(ref)] == ["BIOS", "UEFI"], "oracle check"
    assert _entries(img) == _entries(ref)
    args2 = [a if a != "efi" else "0xef" for a in args]
    img2 = dimg_iso(dimg, tmp_path / "p2.iso", *args2, bsrc)
    assert _entries(img2) == _entries(ref)


# --------------------------------------------------------------------------------------------
# system area: -isohybrid-mbr -isohybrid-gpt-basdat -efi-boot-part -append_partition


def test_isohybrid_mbr(dimg, tmp_path, bsrc):
    template = ch.require_file(ch.ISOHDPFX, "isolinux").read_bytes()
    isolinux = ch.require_file(Path("/usr/lib/ISOLINUX/isolinux.bin"), "isolinux")
    src = tmp_path / "hsrc"
    ch.write_file(src, "isolinux/isolinux.bin", isolinux.read_bytes())
    args = ["-R", "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot",
            "-boot-load-size", "4", "-boot-info-table", "-isohybrid-mbr", ch.ISOHDPFX]
    img = dimg_iso(dimg, tmp_path / "h.iso", *args, src)
    head = img.read_bytes()[:512]
    assert head[:432] == template[:432]
    lba = tl.xorriso_report_lba(img)["isolinux/isolinux.bin"][0][0]
    assert struct.unpack_from("<I", head, 432)[0] == lba * 4
    assert head[510:512] == b"\x55\xaa"
    assert any(st == 0x80 and start == 0 for st, t, start, n in ch.mbr_partitions(head))
    ref = xorrisofs(tmp_path / "x.iso", *args, src)
    got, want = ch.xorriso_system_area(img), ch.xorriso_system_area(ref)
    assert "isohybrid" in want["summary"], "oracle check"
    assert got["summary"].replace("cyl-align-off", "cyl-align-on") == want["summary"]
    assert [m[1:3] for m in got["mbr"]] == [m[1:3] for m in want["mbr"]], (got["mbr"], want["mbr"])


def test_isohybrid_gpt_basdat(dimg, tmp_path, bsrc):
    ch.require_file(ch.ISOHDPFX, "isolinux")
    isolinux = ch.require_file(Path("/usr/lib/ISOLINUX/isolinux.bin"), "isolinux")
    src = tmp_path / "gsrc"
    ch.write_file(src, "isolinux/isolinux.bin", isolinux.read_bytes())
    ch.write_file(src, "efi.img", (bsrc / "efi.img").read_bytes())
    args = ["-R", "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot",
            "-boot-load-size", "4", "-boot-info-table", "-isohybrid-mbr", ch.ISOHDPFX,
            "-eltorito-alt-boot", "-e", "efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat"]
    img = dimg_iso(dimg, tmp_path / "g.iso", *args, src)
    ref = xorrisofs(tmp_path / "x.iso", *args, src)
    data = img.read_bytes()
    assert ch.gpt_header_ok(data) is None, ch.gpt_header_ok(data)
    got, want = ch.gpt_partitions(data), ch.gpt_partitions(ref.read_bytes())
    assert [t for t, s, n in got] == [t for t, s, n in want], (got, want)
    assert all(t == ch.GUID_BASIC_DATA for t, s, n in got), got
    efi_lba = tl.xorriso_report_lba(img)["efi.img"][0][0]
    efi = (src / "efi.img").read_bytes()
    assert (ch.GUID_BASIC_DATA, efi_lba * 2048, len(efi)) in got, got
    assert data[efi_lba * 2048: efi_lba * 2048 + len(efi)] == efi


def test_efi_boot_part(dimg, tmp_path, bsrc):
    """-efi-boot-part --efi-boot-image: a GPT EFI system partition that is the -e image."""
    args = ["-R", "-e", "efi.img", "-no-emul-boot", "-efi-boot-part", "--efi-boot-image"]
    img = dimg_iso(dimg, tmp_path / "e.iso", *args, bsrc)
    ref = xorrisofs(tmp_path / "x.iso", *args, bsrc)
    efi = (bsrc / "efi.img").read_bytes()
    for image, who in ((ref, "xorriso (oracle check)"), (img, "dimg")):
        data = image.read_bytes()
        assert ch.gpt_header_ok(data) is None, (who, ch.gpt_header_ok(data))
        esp = [p for p in ch.gpt_partitions(data) if p[0] == ch.GUID_EFI_SYSTEM]
        assert len(esp) == 1, (who, ch.gpt_partitions(data))
        t, start, size = esp[0]
        assert size == len(efi) and data[start:start + size] == efi, (who, esp)


def test_append_partition(dimg, tmp_path, bsrc):
    blob = ch.content(300 * 1024 + 100, "appended")
    f = ch.write_file(tmp_path, "part.img", blob)
    args = ["-R", "-append_partition", "2", "0xef", f]
    img = dimg_iso(dimg, tmp_path / "a.iso", *args, bsrc)
    ref = xorrisofs(tmp_path / "x.iso", *args, bsrc)
    data = img.read_bytes()
    parts = ch.mbr_partitions(data)
    ours = [p for p in parts if p[1] == 0xEF]
    assert len(ours) == 1, parts
    st, t, start, size = ours[0]
    assert data[start:start + len(blob)] == blob and size >= len(blob)
    vol_end = tl.IsoImage(bytearray(data[:64 * 1024])).volume_blocks() * 2048
    assert start >= vol_end, f"partition at {start} overlaps the ISO volume (ends at {vol_end})"
    def slots(d):
        return [i + 1 for i in range(4) if d[446 + 16 * i + 4] == 0xEF]
    assert slots(ref.read_bytes()[:512]) == [2], "oracle check"
    assert slots(data) == [2], f"-append_partition 2 goes into MBR slot 2, got {slots(data)}"


# --------------------------------------------------------------------------------------------
# usage errors


@pytest.mark.parametrize("args", [["-bogus-option"], ["--frobnicate"], ["-iso-level"], ["-V"],
                                  ["-iso-level", "9"]],
                         ids=["unknown", "unknown-long", "missing-arg-level", "missing-arg-V",
                              "bad-level"])
def test_usage_errors(dimg, tmp_path, msrc, args):
    out = tmp_path / "u.iso"
    r = ch.mkisofs(dimg, "-R", "-o", out, *args, *([] if args[-1] in ("-V", "-iso-level") else [msrc]))
    assert r.returncode == 2, r.describe()
    assert r.err.strip(), r.describe()
    if args[0].startswith("-b") or args[0].startswith("--f"):
        assert args[0] in r.err, "the message must name the unknown option:\n" + r.describe()
    assert not out.exists()
