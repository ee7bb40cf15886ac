"""ISO 9660 read matrix: images made by genisoimage and xorriso from a tree of hard cases,
read back with dimg and compared with the source tree and with independent readers.

Oracles per view:
  rockridge  the source tree itself (names, types, modes, sizes, mtimes, contents, symlink
             targets, hard links, owners) and bsdtar's extraction
  joliet     pycdlib's Joliet tree, and the part of the source tree Joliet can represent
  plain      pycdlib's ISO 9660 tree (names compared without ';1' and case-insensitively)
  iso1999    bsdtar's extraction of the primary tree (genisoimage writes one tree for both)
"""

from __future__ import annotations

import os
import stat

import pytest

import dimg_testlib as tl
from iso_matrix import (BSDTAR_KNOWN_WRONG, ISO1999, JOLIET, PLAIN, RR, SPEC_BY_ID, SPECS,
                        VIEW_CASES, _depth_ok, _joliet_safe, _view_case_id, content_multiset,
                        expected_joliet_subset, expected_rr, no_modes)

# --------------------------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("spec_id", [s.id for s in SPECS])
def test_info(dimg, matrix, spec_id):
    spec = SPEC_BY_ID[spec_id]
    image = matrix.image(spec)
    info = dimg.info(image)
    assert info["format"] == "iso9660", info
    iso = tl.IsoImage.load(image)
    assert info["size"] in (image.stat().st_size, iso.volume_blocks() * tl.SECTOR), info["size"]
    assert info["volume_id"] == matrix.volid(spec)
    assert set(info["views"]) == set(spec.views), f"views {info['views']} != {spec.views}"
    # xorriso native on a regular file starts the first session at LBA 32 (the first 64 KiB
    # are the superblock copy that later sessions overwrite); xorriso -toc is the oracle
    want_starts = tl.xorriso_toc_sessions(image)
    assert len(want_starts) == 1, f"oracle check: {want_starts}"
    assert [s["start"] for s in info["sessions"]] == want_starts, info["sessions"]
    assert info["boot"] is None
    assert info["partitions"] == []


@pytest.mark.parametrize("spec_id", [s.id for s in SPECS if RR in s.views])
def test_rr_extract_matches_source(dimg, matrix, spec_id):
    """The whole manifest (type, mode, size, mtime, sha256, symlink target) equals the source."""
    spec = SPEC_BY_ID[spec_id]
    got = tl.manifest(matrix.dimg_extract(dimg, spec, RR))
    want = tl.format_manifest(expected_rr(spec, matrix.source_entries(spec)))
    tl.assert_manifest_equal(want, got, f"dimg extract {spec.id} vs source tree")


@pytest.mark.parametrize("spec_id", [s.id for s in SPECS if RR in s.views])
def test_rr_extract_matches_bsdtar(dimg, matrix, spec_id):
    spec = SPEC_BY_ID[spec_id]
    ours = tl.manifest_entries(matrix.dimg_extract(dimg, spec, RR), exclude=BSDTAR_KNOWN_WRONG)
    theirs = tl.manifest_entries(matrix.bsdtar(spec, RR), exclude=BSDTAR_KNOWN_WRONG)
    tl.assert_manifest_equal(tl.format_manifest(theirs), tl.format_manifest(ours),
                             f"dimg extract {spec.id} vs bsdtar")


@pytest.mark.parametrize("spec_id", [s.id for s in SPECS if RR in s.views])
def test_rr_hardlinks(dimg, matrix, spec_id):
    """Hard links come out as hard links, exactly the groups of the source tree."""
    spec = SPEC_BY_ID[spec_id]
    src_groups = tl.hardlink_groups(matrix.tree.root)
    assert src_groups, "the hard tree must contain hard links"
    bsd = tl.hardlink_groups(matrix.bsdtar(spec, RR))
    assert bsd == src_groups, f"oracle check: bsdtar sees {bsd}, source has {src_groups}"
    got = tl.hardlink_groups(matrix.dimg_extract(dimg, spec, RR))
    assert got == src_groups
    ls = tl.ls_entries_by_path(matrix.dimg_ls(dimg, spec, RR))
    for group in src_groups:
        for p in group:
            assert ls[p]["nlink"] == len(group), (p, ls[p])


@pytest.mark.parametrize("spec_id", [s.id for s in SPECS if RR in s.views])
def test_rr_ls_json_matches_source(dimg, matrix, spec_id):
    """ls -R --json: the same paths, types, modes, sizes, mtimes, targets and owners."""
    spec = SPEC_BY_ID[spec_id]
    ls = matrix.dimg_ls(dimg, spec, RR)
    paths = [e["path"] for e in ls]
    assert len(paths) == len(set(paths)), "duplicate paths in ls -R --json"
    got = tl.ls_to_entries(ls)
    want = {p: v[:4] + ("?",) + v[5:] for p, v in expected_rr(spec, matrix.source_entries(spec)).items()}
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got),
                             f"dimg ls -R --json {spec.id} vs source tree")
    by_path = tl.ls_entries_by_path(ls)
    for p, e in by_path.items():
        st = os.lstat(matrix.tree.root / p)
        want_ids = (0, 0) if spec.rationalized else (st.st_uid, st.st_gid)
        assert (e["uid"], e["gid"]) == want_ids, (p, e)
        assert e["nlink"] >= 1
        if e["type"] == "file":
            assert sum(x["size"] for x in e["extents"]) >= (0 if spec.zisofs else e["size"]), e


@pytest.mark.parametrize("spec_id", [s.id for s in SPECS if RR in s.views and not s.zisofs])
def test_rr_extents_match_xorriso(dimg, matrix, spec_id):
    """Extents of every regular file equal xorriso's report_lba."""
    spec = SPEC_BY_ID[spec_id]
    lba = tl.xorriso_report_lba(matrix.image(spec))
    ls = tl.ls_entries_by_path(matrix.dimg_ls(dimg, spec, RR))
    checked = 0
    for p, e in ls.items():
        if e["type"] != "file" or e["size"] == 0:
            continue
        want = [(x[0], x[2]) for x in lba[p]]
        got = [(x["lba"], x["size"]) for x in e["extents"]]
        assert got == want, (p, got, want)
        checked += 1
    assert checked > 150


@pytest.mark.parametrize("spec_id", [s.id for s in SPECS])
def test_cat(dimg, matrix, spec_id):
    spec = SPEC_BY_ID[spec_id]
    image = matrix.image(spec)
    samples = [p for p in matrix.tree.samples]
    view = spec.default_view
    if view == PLAIN:
        # cat by the names the plain tree has (whatever case/version dimg shows)
        ls = matrix.dimg_ls(dimg, spec, PLAIN)
        norm = {tl.normalize_iso_name(e["path"]): e["path"] for e in ls if e["type"] == "file"}
        theirs = matrix.pycdlib(spec, PLAIN)
        by_sha = {}
        for p, v in theirs.items():
            if v[0] == "file" and v[2] not in ("0",):
                by_sha.setdefault(v[4], []).append(tl.normalize_iso_name(p))
        pairs = []
        for s in samples:
            data = (matrix.tree.root / s).read_bytes()
            sha = tl.hashlib.sha256(data).hexdigest()
            if sha in by_sha:
                pairs.append((norm[by_sha[sha][0]], data))
        assert len(pairs) >= 4
    else:
        pairs = []
        for s in samples:
            if view == JOLIET and not _joliet_safe(spec, s):
                continue
            if not _depth_ok(spec, s, "file"):
                continue
            pairs.append((s, (matrix.tree.root / s).read_bytes()))
    for path, data in pairs:
        r = dimg.ok("cat", image, path)
        assert r.stdout == data, f"dimg cat {path}: {len(r.stdout)} bytes, want {len(data)}"
    # two paths at once, concatenated
    r = dimg.ok("cat", image, pairs[0][0], pairs[1][0])
    assert r.stdout == pairs[0][1] + pairs[1][1]


@pytest.mark.parametrize("case", [c for c in VIEW_CASES if c[1] == JOLIET], ids=_view_case_id)
def test_joliet_view(dimg, matrix, case):
    spec = SPEC_BY_ID[case[0]]
    got = no_modes(tl.manifest_entries(matrix.dimg_extract(dimg, spec, JOLIET)))
    # 1. against pycdlib's reading of the Joliet tree: names, sizes, mtimes, content
    theirs = matrix.pycdlib(spec, JOLIET)
    tl.assert_manifest_equal(tl.format_manifest(theirs), tl.format_manifest(got),
                             f"dimg --view joliet {spec.id} vs pycdlib")
    # 2. everything of the source tree Joliet can hold is there unchanged
    want = expected_joliet_subset(spec, matrix.source_entries(spec))
    missing = sorted(set(tl.format_manifest(want)) - set(tl.format_manifest(got)))
    assert not missing, "source entries missing from the Joliet extraction:\n" + "\n".join(missing[:30])
    # 3. no file content lost (names that Joliet cannot hold are mangled, not dropped)
    assert content_multiset(got) == content_multiset(matrix.source_entries(spec), spec)


@pytest.mark.parametrize("case", [c for c in VIEW_CASES if c[1] == JOLIET], ids=_view_case_id)
def test_joliet_ls_matches_extract(dimg, matrix, case):
    spec = SPEC_BY_ID[case[0]]
    got = matrix.dimg_extract(dimg, spec, JOLIET)
    ls = tl.ls_to_entries(matrix.dimg_ls(dimg, spec, JOLIET))
    ext = {p: v[:1] + ("-",) + v[2:4] + ("?", v[5]) for p, v in no_modes(tl.manifest_entries(got)).items()}
    ls = {p: v[:1] + ("-",) + v[2:] for p, v in ls.items()}
    tl.assert_manifest_equal(tl.format_manifest(ext), tl.format_manifest(ls),
                             f"dimg ls --view joliet vs dimg extract --view joliet ({spec.id})")


@pytest.mark.parametrize("case", [c for c in VIEW_CASES if c[1] == PLAIN
                                  and not SPEC_BY_ID[c[0]].zisofs
                                  and "4" not in SPEC_BY_ID[c[0]].args], ids=_view_case_id)
def test_plain_view(dimg, matrix, case):
    """The ISO 9660 tree without extensions, against pycdlib (8.3 names, RR_MOVED visible)."""
    spec = SPEC_BY_ID[case[0]]
    got = tl.normalize_plain_entries(no_modes(tl.manifest_entries(matrix.dimg_extract(dimg, spec, PLAIN))))
    theirs = tl.normalize_plain_entries(matrix.pycdlib(spec, PLAIN))
    tl.assert_manifest_equal(tl.format_manifest(theirs), tl.format_manifest(got),
                             f"dimg --view plain {spec.id} vs pycdlib")
    ls = matrix.dimg_ls(dimg, spec, PLAIN)
    assert sorted(tl.normalize_iso_name(e["path"]) for e in ls) == sorted(theirs)


@pytest.mark.parametrize("case", [c for c in VIEW_CASES if c[1] == ISO1999], ids=_view_case_id)
def test_iso1999_view(dimg, matrix, case):
    """ISO 9660:1999 tree (genisoimage -iso-level 4) against bsdtar's reading of it."""
    spec = SPEC_BY_ID[case[0]]
    got = no_modes(tl.manifest_entries(matrix.dimg_extract(dimg, spec, ISO1999)))
    theirs = no_modes(tl.manifest_entries(matrix.bsdtar(spec, ISO1999)))
    tl.assert_manifest_equal(tl.format_manifest(theirs), tl.format_manifest(got),
                             f"dimg --view iso1999 {spec.id} vs bsdtar")
    if RR not in spec.views:
        # without Rock Ridge the 1999 tree holds the source names verbatim (no symlinks)
        want = {p: v for p, v in no_modes(matrix.source_entries(spec)).items() if v[0] != "symlink"}
        tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got),
                                 f"dimg --view iso1999 {spec.id} vs source tree")


@pytest.mark.parametrize("spec_id", ["g-plain-l1", "xn-plain"])
def test_plain_only_contents(dimg, matrix, spec_id):
    """A plain image loses names but no content: every file's bytes are there."""
    spec = SPEC_BY_ID[spec_id]
    got = tl.manifest_entries(matrix.dimg_extract(dimg, spec, PLAIN))
    assert content_multiset(got) == content_multiset(matrix.source_entries(spec), spec)


@pytest.mark.parametrize("spec_id", ["g-RJ", "x-RJ-utf16"])
def test_views_disagree_where_they_should(dimg, matrix, spec_id):
    """Guard against a view option that is silently ignored: the three views of an RR+Joliet
    image must give three different name sets."""
    spec = SPEC_BY_ID[spec_id]
    names = {}
    for v in (RR, JOLIET, PLAIN):
        names[v] = {e["path"] for e in matrix.dimg_ls(dimg, spec, v)}
    assert names[RR] != names[JOLIET] != names[PLAIN] != names[RR]
    assert "links/rel_file" in names[RR]
    jl = tl.ls_entries_by_path(matrix.dimg_ls(dimg, spec, JOLIET))
    assert "links/rel_file" not in jl or jl["links/rel_file"]["type"] != "symlink"
    assert "names/" + tl.LONG_NAME in names[RR]


def test_extract_selected_paths(dimg, matrix, tmp_path):
    spec = SPEC_BY_ID["x-RJ"]
    dest = tmp_path / "sel"
    dest.mkdir()
    dimg.ok("extract", "-C", dest, matrix.image(spec), "sizes/size_2049", "links", "names/caf\u00e9.txt")
    got = tl.manifest_entries(dest)
    src = matrix.source_entries(spec)
    files = {p for p, v in got.items() if v[0] != "dir"}
    want_files = {p for p, v in src.items() if v[0] != "dir" and
                  (p.startswith("links/") or p in ("sizes/size_2049", "names/caf\u00e9.txt"))}
    assert files == want_files
    for p in files:
        assert got[p] == src[p], p
    assert tl.hardlink_groups(dest) == tl.hardlink_groups(matrix.tree.root)


def test_ls_subdirectory_and_file(dimg, matrix):
    spec = SPEC_BY_ID["g-R"]
    image = matrix.image(spec)
    sub = dimg.json("ls", "--json", image, "perms")
    got = sorted(e["path"] for e in sub)
    assert got == sorted(os.listdir(matrix.tree.root / "perms")), got
    deep = dimg.json("ls", "-R", "--json", image, "deep/d01/d02/d03/d04/d05/d06/d07")
    assert sorted(e["path"] for e in deep) == ["d08", "d08/d09", "d08/d09/d10", "d08/d09/d10/d11",
                                               "d08/d09/d10/d11/leaf.txt"]
    one = dimg.json("ls", "--json", image, "sizes/size_2049")
    assert len(one) == 1 and one[0]["size"] == 2049 and one[0]["type"] == "file", one


def test_rr_moved_is_hidden(dimg, matrix):
    """genisoimage -R relocates the 11-deep chain to rr_moved; RR view shows it in place."""
    spec = SPEC_BY_ID["g-R"]
    iso = tl.IsoImage.load(matrix.image(spec))
    names = [iso.rr_name(r) or r.name.decode() for r in iso.children(iso.root_record())]
    assert "rr_moved" in names, f"oracle check: the image should relocate deep dirs, has {names}"
    paths = {e["path"] for e in matrix.dimg_ls(dimg, spec, RR)}
    assert not any(p.split("/")[0].lower() == "rr_moved" for p in paths)
    assert matrix.tree.deep_file in paths


def test_timezone_offset(dimg, tmp_path):
    """genisoimage in a +05:45 zone records local time plus offset; dimg must give UTC (and
    must not depend on the reader's own TZ)."""
    src = tmp_path / "tz"
    src.mkdir()
    times = {"a": 1500000000, "b": 1262304000, "c": 1719792000, "d": 946684799}
    for n, t in times.items():
        (src / n).write_text(n)
        os.utime(src / n, (t, t))
    os.utime(src, (1400000000, 1400000000))
    img = tmp_path / "tz.iso"
    tl.make_genisoimage(src, img, ["-R", "-J"], tz=tl.MAKER_TZ)
    iso = tl.IsoImage.load(img)
    rec = iso.lookup("A")
    assert iso.data[rec.offset + 24] == 23, "oracle check: the record should carry +05:45"
    for view in ("rr", "joliet", "plain"):
        for tz in ("UTC", "Pacific/Auckland", tl.READER_TZ):
            ls = dimg.json("ls", "--json", "--view", view, img, env={"TZ": tz})
            got = {tl.normalize_iso_name(e["path"]).lower(): tl.parse_utc(e["mtime"]) for e in ls}
            assert got == times, (view, tz, got)
    dest = tmp_path / "out"
    dimg.extract(img, dest)
    assert {n: int(os.stat(dest / n).st_mtime) for n in times} == times


def test_special_files(dimg, tmp_path):
    """Rock Ridge device nodes, FIFOs and sockets: typed correctly in ls --json; extract
    either recreates them or reports each as skipped (exit 1, one stderr line each).
    Device nodes only when running as root (mknod)."""
    import socket
    root = os.geteuid() == 0
    src = tmp_path / "sp"
    src.mkdir()
    os.mkfifo(src / "fifo")
    os.chmod(src / "fifo", 0o640)
    if root:
        os.mknod(src / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.mknod(src / "loop", 0o660 | stat.S_IFBLK, os.makedev(7, 0))
        for n, m in (("null", 0o666), ("loop", 0o660)):
            os.chmod(src / n, m)
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(src / "sock"))
    s.close()
    (src / "regular").write_text("r")
    img = tmp_path / "sp.iso"
    tl.make_genisoimage(src, img, ["-R"])
    ls = {e["path"]: e for e in dimg.json("ls", "--json", img)}
    assert ls["fifo"]["type"] == "fifo" and ls["fifo"]["mode"] == 0o640
    if root:
        assert ls["null"]["type"] == "chardev" and ls["null"]["mode"] == 0o666
        assert ls["loop"]["type"] == "blockdev"
    assert ls["regular"]["type"] == "file"
    if "sock" in ls:      # genisoimage may leave sockets out
        assert ls["sock"]["type"] == "socket"
    dest = tmp_path / "out"
    dest.mkdir()
    r = dimg.run("extract", "-C", dest, img)
    assert (dest / "regular").read_text() == "r"
    made = {n: tl._type_of(os.lstat(dest / n).st_mode) for n in os.listdir(dest)}
    skipped = [n for n in ls if made.get(n) != ls[n]["type"]]
    for n in skipped:
        assert n not in made, f"{n} extracted as the wrong type {made[n]}"
    if skipped:
        assert r.returncode == 1, r.describe()
        assert len(r.err.strip().splitlines()) >= len(skipped), r.describe()
    else:
        assert r.returncode == 0, r.describe()
    if root and "null" in made and made["null"] == "chardev":
        assert os.major(os.lstat(dest / "null").st_rdev) == 1
        assert os.minor(os.lstat(dest / "null").st_rdev) == 3


# --------------------------------------------------------------------------------------------
# multisession


@pytest.fixture(scope="session")
def multisession(tmp_path_factory, hard_tree):
    tmp = tmp_path_factory.mktemp("ms")
    img = tmp / "ms.iso"
    tl.make_xorriso_native(hard_tree.root, img, {}, volid="SESSION_ONE")
    s2 = tmp / "s2"
    (s2 / "new").mkdir(parents=True)
    (s2 / "new/added.txt").write_bytes(b"added in session 2\n")
    (s2 / "changed.txt").write_bytes(b"session 2 replaced this file\n" * 100)
    os.utime(s2 / "new/added.txt", (1600000000, 1600000000))
    os.utime(s2 / "changed.txt", (1600000100, 1600000100))
    os.utime(s2 / "new", (1600000200, 1600000200))
    tl.run(["xorriso", "-report_about", "SORRY", "-dev", img, "-volid", "SESSION_TWO",
            "-map", s2 / "new", "/new", "-map", s2 / "changed.txt", "/sizes/size_1",
            "-rm", "/empty_file", "--", "-chmod", "0600", "/perms/file_444", "--", "-commit"],
           env={"TZ": tl.MAKER_TZ})
    # the expected second session as a real tree
    exp2 = tmp / "expected2"
    tl.copy_tree(hard_tree.root, exp2)
    os.unlink(exp2 / "empty_file")
    os.unlink(exp2 / "sizes/size_1")
    tl.run(["cp", "-a", s2 / "changed.txt", exp2 / "sizes/size_1"])
    tl.run(["cp", "-a", s2 / "new", exp2 / "new"])
    os.chmod(exp2 / "perms/file_444", 0o600)
    for d in ("sizes", "perms"):   # xorriso keeps the directories' recorded times
        st = os.stat(hard_tree.root / d)
        os.utime(exp2 / d, ns=(st.st_mtime_ns, st.st_mtime_ns))
    return {"image": img, "tmp": tmp, "expected2": exp2, "expected1": hard_tree.root}


def _without_symlink_mtimes(entries):
    return {p: (v[:3] + ("-",) + v[4:] if v[0] == "symlink" else v) for p, v in entries.items()}


def test_multisession_info(dimg, multisession):
    img = multisession["image"]
    starts = tl.xorriso_toc_sessions(img)
    assert len(starts) == 2, f"oracle check: xorriso -toc sees {starts}"
    info = dimg.info(img)
    assert [s["start"] for s in info["sessions"]] == starts, info["sessions"]
    assert info["volume_id"] == "SESSION_TWO"


@pytest.mark.parametrize("session", [None, 1, 2])
def test_multisession_extract(dimg, multisession, session, tmp_path):
    img = multisession["image"]
    dest = tmp_path / "x"
    opts = [] if session is None else ["--session", str(session)]
    dimg.extract(img, dest, *opts)
    want_root = multisession["expected1"] if session == 1 else multisession["expected2"]
    want = tl.manifest_entries(want_root)
    got = tl.manifest_entries(dest)
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got),
                             f"dimg extract --session {session} vs expected tree")
    # cross-check the expectation with xorriso's own extraction of that session
    starts = tl.xorriso_toc_sessions(img)
    ox = tmp_path / "xorriso"
    cp = tl.xorriso_extract(img, ox, sbsector=starts[0] if session == 1 else None)
    assert cp.returncode == 0, cp.stderr
    tl.assert_manifest_equal(
        tl.format_manifest(_without_symlink_mtimes(tl.manifest_entries(ox))),
        tl.format_manifest(_without_symlink_mtimes(got)), "dimg vs xorriso -osirrox")
    if session == 1:
        # session 2 (xorriso without -hardlinks on) keeps the shared extent but records
        # nlink 1, so only the first session's hard link is asserted
        assert tl.hardlink_groups(dest) == tl.hardlink_groups(want_root)


def test_multisession_ls_and_cat(dimg, multisession):
    img = multisession["image"]
    new = {e["path"] for e in dimg.json("ls", "-R", "--json", img)}
    old = {e["path"] for e in dimg.json("ls", "-R", "--json", "--session", "1", img)}
    assert "new/added.txt" in new and "empty_file" not in new
    assert "new/added.txt" not in old and "empty_file" in old
    assert dimg.ok("cat", img, "sizes/size_1").stdout == b"session 2 replaced this file\n" * 100
    assert dimg.ok("cat", "--session", "1", img, "sizes/size_1").stdout == \
        (multisession["expected1"] / "sizes/size_1").read_bytes()
    r = dimg.run("ls", "--session", "3", img)
    assert r.returncode == 1, r.describe()


# --------------------------------------------------------------------------------------------
# El Torito and partition tables


@pytest.fixture(scope="session")
def boot_tree(tmp_path_factory):
    d = tmp_path_factory.mktemp("boot") / "src"
    d.mkdir()
    (d / "boot").mkdir()
    (d / "boot/boot.bin").write_bytes(tl._content(2048, 901))           # 4 x 512 bytes
    (d / "efi.img").write_bytes(tl._content(36864, 902))                # FAT-less blob
    (d / "floppy.img").write_bytes(tl._content(1474560, 903))           # 1.44 MB floppy
    (d / "readme.txt").write_text("boot test\n")
    return d


BOOT_ARGS = ["-R", "-J", "-b", "boot/boot.bin", "-no-emul-boot", "-boot-load-size", "4",
             "-eltorito-alt-boot", "-e", "efi.img", "-no-emul-boot"]


@pytest.fixture(scope="session", params=["genisoimage", "mkisofs"])
def boot_image(request, boot_tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("bootimg") / f"{request.param}.iso"
    if request.param == "genisoimage":
        tl.make_genisoimage(boot_tree, out, BOOT_ARGS + ["-c", "boot/boot.cat"])
    else:
        tl.make_xorriso_mkisofs(boot_tree, out, BOOT_ARGS + ["-c", "boot/boot.cat"])
    return out


def _platform_ok(ours, xorriso_pltf):
    return {"BIOS": "bios", "UEFI": "efi"}.get(xorriso_pltf) == ours


def test_boot_info(dimg, boot_image):
    info = dimg.info(boot_image)
    want = tl.xorriso_el_torito(boot_image)
    assert len(want) == 2, f"oracle check: {want}"
    assert info["boot"] is not None, info
    got = info["boot"]["entries"]
    assert len(got) == 2, got
    for g, w in zip(got, want):
        assert _platform_ok(g["platform"], w["platform"]), (g, w)
        assert g["emulation"] == "none", g
        assert g["load_size"] == w["load_size"], (g, w)
        assert g["lba"] == w["lba"], (g, w)
    ls = {e["path"]: e for e in dimg.json("ls", "-R", "--json", boot_image)}
    assert got[0]["lba"] == ls["boot/boot.bin"]["extents"][0]["lba"]
    assert got[1]["lba"] == ls["efi.img"]["extents"][0]["lba"]
    assert got[0]["load_size"] == 4


def test_boot_extract(dimg, boot_image, boot_tree, tmp_path):
    dest, boot = tmp_path / "files", tmp_path / "bootimgs"
    dimg.extract(boot_image, dest, "--boot", boot)
    written = sorted(p for p in boot.rglob("*") if p.is_file())
    contents = [p.read_bytes() for p in written]
    assert len(written) == 2, [p.name for p in written]
    assert (boot_tree / "boot/boot.bin").read_bytes() in contents, "BIOS boot image differs"
    assert (boot_tree / "efi.img").read_bytes() in contents, "EFI boot image differs"
    # the files themselves extract normally, plus the boot catalog
    src = tl.manifest_entries(boot_tree)
    got = tl.manifest_entries(dest)
    assert got.pop("boot/boot.cat")[0] == "file"
    got.pop("boot")
    src.pop("boot")
    assert got == src


def test_boot_floppy_emulation(dimg, boot_tree, tmp_path):
    img = tmp_path / "fl.iso"
    tl.make_genisoimage(boot_tree, img, ["-R", "-b", "floppy.img", "-c", "boot.cat"])
    want = tl.xorriso_el_torito(img)
    assert want[0]["emulation"].startswith("fd"), f"oracle check: {want}"
    info = dimg.info(img)
    (entry,) = info["boot"]["entries"]
    assert entry["platform"] == "bios" and entry["emulation"] == "floppy-1.44", entry
    assert entry["lba"] == want[0]["lba"]
    boot = tmp_path / "b"
    dimg.extract(img, tmp_path / "x", "--boot", boot)
    (out,) = [p for p in boot.rglob("*") if p.is_file()]
    assert out.read_bytes() == (boot_tree / "floppy.img").read_bytes()


def test_boot_hard_disk_emulation(dimg, tmp_path):
    """A 2 MiB hard-disk boot image whose MBR partition ends exactly at its end."""
    import struct
    src = tmp_path / "hd"
    src.mkdir()
    disk = bytearray(tl._content(2 * 1024 * 1024, 904))
    disk[446:510] = bytes(64)
    disk[446:462] = bytes([0x80, 0, 33, 0, 0x83, 0, 0, 0]) + struct.pack("<II", 32, 4064)
    disk[510:512] = b"\x55\xaa"
    (src / "disk.img").write_bytes(bytes(disk))
    img = tmp_path / "hd.iso"
    tl.make_genisoimage(src, img, ["-R", "-b", "disk.img", "-hard-disk-boot", "-c", "boot.cat"])
    want = tl.xorriso_el_torito(img)
    assert want[0]["emulation"] == "hd", f"oracle check: {want}"
    (entry,) = dimg.info(img)["boot"]["entries"]
    assert entry["platform"] == "bios" and entry["emulation"] == "hard-disk", entry
    assert entry["lba"] == want[0]["lba"] and entry["load_size"] == want[0]["load_size"]
    boot = tmp_path / "b"
    dimg.extract(img, tmp_path / "x", "--boot", boot)
    (out,) = [p for p in boot.rglob("*") if p.is_file()]
    assert out.read_bytes() == bytes(disk)


def _mbr_partitions(data):
    import struct
    out = []
    if data[510:512] != b"\x55\xaa":
        return out
    for i in range(4):
        e = data[446 + 16 * i: 446 + 16 * (i + 1)]
        ptype = e[4]
        start, count = struct.unpack_from("<II", e, 8)
        if ptype and count:
            out.append((ptype, start * 512, count * 512))
    return out


def _gpt_partitions(data):
    import struct
    import uuid
    hdr = data[512:1024]
    if hdr[:8] != b"EFI PART":
        return []
    ent_lba, n, esize = struct.unpack_from("<QII", hdr, 72)
    out = []
    for i in range(n):
        e = data[ent_lba * 512 + i * esize: ent_lba * 512 + (i + 1) * esize]
        tguid = uuid.UUID(bytes_le=bytes(e[:16]))
        if tguid.int == 0:
            continue
        first, last = struct.unpack_from("<QQ", e, 32)
        out.append((str(tguid), first * 512, (last - first + 1) * 512))
    return out


def _apm_partitions(data):
    import struct
    if data[0:2] != b"ER":
        return []
    bs = struct.unpack_from(">H", data, 2)[0]
    if data[bs:bs + 2] != b"PM":
        return []
    n = struct.unpack_from(">I", data, bs + 4)[0]
    out = []
    for i in range(1, n + 1):
        o = i * bs
        if data[o:o + 2] != b"PM":
            break
        start, count = struct.unpack_from(">II", data, o + 8)
        ptype = data[o + 48:o + 80].rstrip(b"\0").decode("ascii", "replace")
        out.append((ptype, start * bs, count * bs))
    return out


def _type_matches(got_type, want):
    if isinstance(want, int):
        if isinstance(got_type, int):
            return got_type == want
        return isinstance(got_type, str) and got_type.lower().lstrip("0x").lstrip("0") in (
            format(want, "x"), format(want, "02x"))
    s = str(got_type).lower().strip("{}")
    if len(s) == 36 and s.count("-") == 4:
        return s == want.lower()
    return True  # a name for the GUID: not checked


@pytest.mark.parametrize("layout", ["mbr-appended", "gpt-isohybrid", "gpt-apm"])
def test_partitions(dimg, boot_tree, tmp_path, layout):
    img = tmp_path / f"{layout}.iso"
    base = ["-R", "-e", "efi.img", "-no-emul-boot"]
    if layout == "mbr-appended":
        tl.make_xorriso_mkisofs(boot_tree, img, base + ["-append_partition", "2", "0xef",
                                                        str(boot_tree / "efi.img")])
    elif layout == "gpt-isohybrid":
        tl.make_xorriso_mkisofs(boot_tree, img, base + ["-isohybrid-gpt-basdat",
                                                        "-part_like_isohybrid"])
    else:
        tl.make_xorriso_mkisofs(boot_tree, img, base + ["-isohybrid-gpt-basdat",
                                                        "-isohybrid-apm-hfsplus",
                                                        "-part_like_isohybrid"])
    data = img.read_bytes()
    mbr = _mbr_partitions(data)
    gpt = _gpt_partitions(data)
    info = dimg.info(img)
    parts = info["partitions"]
    for p in parts:
        assert set(p) >= {"scheme", "type", "start", "size"}, p
    got_mbr = [(p["start"], p["size"]) for p in parts if p["scheme"] == "mbr"]
    got_gpt = [(p["start"], p["size"]) for p in parts if p["scheme"] == "gpt"]
    if layout == "mbr-appended":
        assert mbr and not gpt, "oracle check"
        assert got_mbr == [(s, n) for t, s, n in mbr], (parts, mbr)
        for p, (t, s, n) in zip([p for p in parts if p["scheme"] == "mbr"], mbr):
            assert _type_matches(p["type"], t), (p, t)
        # the appended partition holds exactly the EFI image
        efi = [(s, n) for t, s, n in mbr if t == 0xEF][0]
        assert data[efi[0]:efi[0] + 36864] == (boot_tree / "efi.img").read_bytes()
        assert got_gpt == []
    else:
        assert gpt, "oracle check"
        assert got_gpt == [(s, n) for t, s, n in gpt], (parts, gpt)
        for p, (t, s, n) in zip([p for p in parts if p["scheme"] == "gpt"], gpt):
            assert _type_matches(p["type"], t), (p, t)
        # a protective/hybrid MBR may be listed too, but only with the on-disc values
        assert set(got_mbr) <= {(s, n) for t, s, n in mbr}, (got_mbr, mbr)
    apm = _apm_partitions(data)
    got_apm = [(p["type"], p["start"], p["size"]) for p in parts if p["scheme"] == "apm"]
    if layout == "gpt-apm":
        assert len(apm) >= 2, "oracle check"
        # the map's own entry may or may not be listed
        assert got_apm in (apm, [a for a in apm if a[0] != "Apple_partition_map"]), (got_apm, apm)
    else:
        assert apm == [] and got_apm == []


# --------------------------------------------------------------------------------------------
# multi-extent file > 4 GiB


HUGE = 4_500_000_000
MARKS = {0: b"HEAD-OF-HUGE", 4294965248 - 7: b"ACROSS-EXTENT-BOUNDARY", 3 << 30: b"AT-3GiB",
         HUGE - 4: b"TAIL"}


@pytest.fixture(scope="session")
def huge_image(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("huge")
    src = tmp / "src"
    src.mkdir()
    with open(src / "huge.bin", "wb") as f:
        f.truncate(HUGE)
        for off, b in MARKS.items():
            f.seek(off)
            f.write(b)
    (src / "small.txt").write_text("after the huge file\n")
    os.utime(src / "huge.bin", (1300000000, 1300000000))
    img = tmp / "huge.iso"
    tl.make_xorriso_mkisofs(src, img, ["-R", "-J", "-iso-level", "3"])
    yield {"image": img, "src": src, "sha": tl.sparse_sha256(src / "huge.bin", HUGE)}
    img.unlink()    # 4.2 GiB of real blocks: do not leave it in pytest's kept temp dirs


@pytest.mark.slow
def test_multi_extent_huge(dimg, huge_image, tmp_path):
    img = huge_image["image"]
    want_ext = tl.xorriso_report_lba(img)["huge.bin"]
    assert len(want_ext) == 2, f"oracle check: {want_ext}"
    ls = {e["path"]: e for e in dimg.json("ls", "--json", img)}
    e = ls["huge.bin"]
    assert e["size"] == HUGE
    want, remaining = [], HUGE
    for lba, blocks, _ in want_ext:
        n = min(blocks * 2048, remaining)
        want.append((lba, n))
        remaining -= n
    assert [(x["lba"], x["size"]) for x in e["extents"]] == want
    dest = tmp_path / "x"
    dimg.extract(img, dest, timeout=600)
    out = dest / "huge.bin"
    st = os.stat(out)
    assert st.st_size == HUGE
    assert st.st_mtime == 1300000000
    assert st.st_blocks * 512 < HUGE // 100, "extract should leave holes for zero blocks"
    with open(out, "rb") as f:
        for off, b in MARKS.items():
            f.seek(off)
            assert f.read(len(b)) == b, off
    assert tl.sparse_sha256(out, HUGE) == huge_image["sha"]
    assert (dest / "small.txt").read_text() == "after the huge file\n"


@pytest.mark.slow
@pytest.mark.parametrize("view", ["rr", "joliet"])
def test_multi_extent_huge_cat(dimg, huge_image, view):
    import hashlib
    import subprocess
    h = hashlib.sha256()
    n = 0
    cmd = [str(dimg.path), "cat", "--view", view, str(huge_image["image"]), "huge.bin"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        while True:
            b = p.stdout.read(1 << 22)
            if not b:
                break
            h.update(b)
            n += len(b)
        err = p.stderr.read()
        rc = p.wait(timeout=600)
    assert rc == 0, err
    assert not any(m in err for m in tl.SANITIZER_MARKERS), err
    assert n == HUGE
    assert h.hexdigest() == huge_image["sha"]


# --------------------------------------------------------------------------------------------
# errors and sparse output


@pytest.mark.parametrize("spec_id", ["g-R", "xn-zisofs"])
def test_sparse_output(dimg, matrix, spec_id):
    """All-zero blocks become holes (300 000 zero bytes + 'end')."""
    spec = SPEC_BY_ID[spec_id]
    out = matrix.dimg_extract(dimg, spec, RR) / "compressible/zeros_300k"
    st = os.stat(out)
    assert st.st_size == 300003
    assert st.st_blocks * 512 <= 64 * 1024, f"{st.st_blocks} blocks allocated"


def test_errors(dimg, matrix, tmp_path):
    spec = SPEC_BY_ID["x-R"]
    img = matrix.image(spec)
    cases = [
        ["cat", img, "sizes"],                          # a directory
        ["cat", img, "does/not/exist"],
        ["ls", img, "does/not/exist"],
        ["ls", "--view", "joliet", img],                # no Joliet in this image
        ["ls", "--session", "2", img],                  # one session only
        ["extract", "-C", tmp_path / "e1", img, "does/not/exist"],
        ["info", tmp_path / "missing.iso"],
    ]
    (tmp_path / "e1").mkdir()
    for args in cases:
        r = dimg.run(*args)
        assert r.returncode == 1, r.describe()
        image = args[1] if args[0] == "info" else img
        assert r.err.startswith(f"dimg: {image}: "), r.describe()
        assert r.stdout == b"" or args[0] == "cat", r.describe()
    # a relative image path is reported as given
    r = dimg.run("ls", "nope.iso")
    assert r.returncode == 1 and r.err.startswith("dimg: nope.iso: "), r.describe()
    # usage errors
    for args in (["ls"], ["extract", "--view", "nonsense", img], ["cat", img], ["bogus-command"]):
        r = dimg.run(*args)
        assert r.returncode == 2, r.describe()


# --------------------------------------------------------------------------------------------
# odd names and times, zisofs version 2


def test_unusual_names_and_times(dimg, tmp_path):
    """Rock Ridge names are bytes (a Latin-1 name is not UTF-8), times before 1970, and a path
    of ~3900 bytes (extraction must not build absolute paths near PATH_MAX)."""
    src = tmp_path / "src"
    src.mkdir()
    with open(os.path.join(os.fsencode(src), b"caf\xe9 latin1.txt"), "wb") as f:
        f.write(b"latin-1 name\n")
    (src / "old.txt").write_text("1960\n")
    os.utime(src / "old.txt", (-315619200, -315619200))
    fd = os.open(src, os.O_RDONLY)
    for i in range(18):
        n = f"d{i:02d}_" + "x" * 200
        os.mkdir(n, dir_fd=fd)
        nfd = os.open(n, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    leaf = os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(leaf, b"deep leaf\n")
    os.close(leaf)
    os.utime("leaf.txt", (1234567890, 1234567890), dir_fd=fd)
    os.close(fd)
    img = tmp_path / "odd.iso"
    tl.make_xorriso_mkisofs(src, img, ["-R"])
    dest = tmp_path / "out"
    dimg.extract(img, dest)
    tl.assert_manifest_equal(tl.manifest(src, mtimes=True), tl.manifest(dest, mtimes=True),
                             "odd names/times/deep path")
    assert os.path.exists(os.path.join(os.fsencode(dest), b"caf\xe9 latin1.txt"))


@pytest.mark.parametrize("zf", ["v1", "v2-zf"])
def test_zisofs_versions_decoded_or_refused(dimg, hard_tree, tmp_path, zf):
    """xorriso's zisofs version 2 (ZF entry, algorithm 'PZ'): dimg must give the original
    bytes, or refuse the file (exit 1) -- never exit 0 with the compressed bytes."""
    src = hard_tree.root / "compressible"
    img = tmp_path / f"{zf}.iso"
    pre = [] if zf == "v1" else ["-zisofs", "version_2=on:susp_z2=off"]
    tl.run(["xorriso", "-report_about", "SORRY", *pre, "-outdev", img, "-map", src, "/c",
            "-set_filter_r", "--zisofs", "/", "--", "-commit"])
    iso = tl.IsoImage.load(img)
    rec = iso.find_rr(iso.find_rr(iso.root_record(), "c"), "text_100k.txt")
    zfe = [bytes(iso.data[o:o + ln]) for o, s, ln in iso.susp_entries(rec) if s == b"ZF"]
    assert zfe and zfe[0][4:6] == (b"pz" if zf == "v1" else b"PZ"), f"oracle check: {zfe}"
    dest = tmp_path / "out"
    dest.mkdir()
    r = dimg.run("extract", "-C", dest, img)
    want = (src / "text_100k.txt").read_bytes()
    out = dest / "c" / "text_100k.txt"
    if r.returncode == 0:
        assert out.read_bytes() == want, "exit 0 but the content is not the original"
        ls = {e["path"]: e for e in dimg.json("ls", "--json", img, "c")}
        assert ls["text_100k.txt"]["size"] == len(want)
    else:
        assert r.returncode == 1 and "text_100k.txt" in r.err, r.describe()


def test_cat_follows_symlinks_inside_the_image(dimg, matrix):
    """`cat` follows symlinks (dimg cat --help) -- inside the image only: an absolute target
    is looked up in the image, never on the host."""
    spec = SPEC_BY_ID["g-R"]
    img = matrix.image(spec)
    root = matrix.tree.root
    assert dimg.ok("cat", img, "links/rel_file").stdout == (root / "links/hard_a").read_bytes()
    assert dimg.ok("cat", img, "links/rel_up").stdout == (root / "sizes/size_2049").read_bytes()
    for p in ("links/abs", "links/dangling", "links/abs_dir", "links/rel_dir"):
        r = dimg.run("cat", img, p)
        assert r.returncode == 1 and r.stdout == b"", r.describe()
    # a symlink to a directory in the middle of the path
    r = dimg.run("cat", img, "links/rel_dir/d01/d02/d03/d04/d05/d06/d07/d08/d09/d10/d11/leaf.txt")
    assert r.returncode == 0, r.describe()
    assert r.stdout == (root / matrix.tree.deep_file).read_bytes()
