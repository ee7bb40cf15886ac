"""Extended tests over the external corpus (../shared/corpus or $DIMG_CORPUS): images written by
other projects' tools, compared with readers nobody here wrote (bsdtar, pycdlib) and with facts
that can be checked independently (payload files, source tarballs, blkid's expected labels,
raw on-disc fields decoded here).

The whole module is skipped when the corpus is absent: the project must pass without it.
"""

from __future__ import annotations

import functools
import lzma
import os
import re
import stat
import struct
import tarfile
from pathlib import Path

import pytest

import dimg_testlib as tl

CORPUS = Path(os.environ.get("DIMG_CORPUS", tl.REPO.parent / "shared" / "corpus"))
if not CORPUS.is_dir():
    pytest.skip(f"external corpus not found at {CORPUS} (set DIMG_CORPUS)", allow_module_level=True)

pytestmark = pytest.mark.corpus
TIMEOUT = 5

# crafted to crash or hang readers (corpus README): bounded, exit 0/1, nothing outside -C
HOSTILE_PATTERNS = ("joliet_utf16be_overflow", "rockridge_ce_loop", "rockridge_zf_overflow",
                    "zisofs_overflow", "malformed", "bad-dir")
# not ISO 9660 at all (UDF only) or only a fragment (the go-diskfs volume descriptor set)
NOT_ISO = {"libcdio/udf102.iso", "go-diskfs/volrecords.iso"}


def _discover():
    out = []
    for pat in ("libarchive/*.iso.xz", "libcdio/*.iso.xz", "kdomanski/*.iso.xz",
                "go-diskfs/*.iso.xz", "util-linux/iso*.img.xz",
                "syzkaller/syz_mount_image_iso9660_*.img.xz"):
        out += sorted(str(p.relative_to(CORPUS))[:-3] for p in CORPUS.glob(pat))
    return out


ALL = _discover()
HOSTILE = [n for n in ALL if any(p in n for p in HOSTILE_PATTERNS)]
GOOD = [n for n in ALL if n not in HOSTILE and n not in NOT_ISO]
UDF_OR_OTHER = sorted(str(p.relative_to(CORPUS))[:-3] for p in
                      list(CORPUS.glob("util-linux/udf*.img.xz")) +
                      list(CORPUS.glob("syzkaller/syz_mount_image_udf_*.img.xz"))) + sorted(NOT_ISO)

# Where bsdtar 3.6.2 is not a usable oracle, and what replaces it:
#  - test_read_format_iso_3.iso (NetBSD makefs; the PVD root record carries a System Use
#    area): bsdtar lists nothing; pycdlib and isoinfo see A/B and C/D.
PYCDLIB_ORACLE = {"libarchive/test_read_format_iso_3.iso"}
#  - copying-rr.iso: bsdtar cannot mknod the device nodes (64-bit device numbers) and exits 1;
#    those entries are checked against bsdtar -tv instead.
BSDTAR_CANNOT_CREATE = {"libcdio/copying-rr.iso": {"fd0": "blockdev", "zero": "chardev"}}


@functools.lru_cache(maxsize=None)
def _bytes(name: str) -> bytes:
    with lzma.open(CORPUS / (name + ".xz")) as f:
        return f.read()


def _rr_info(name):
    """(has Rock Ridge, PX-carrying file/symlink records, in-record SL records), decoded here
    at collection time so that no test has to skip on data."""
    iso = tl.IsoImage(bytearray(_bytes(name)))
    if not has_rock_ridge_iso(iso):
        return False, 0, 0
    px = sl = 0
    for path, rec in _walk_rr(iso, iso.root_record()):
        e = _px_entries(iso, rec)
        if e is not None and (stat.S_ISREG(e["mode"]) or stat.S_ISLNK(e["mode"])):
            px += 1
        if _sl_target(iso, rec) is not None:
            sl += 1
    return True, px, sl


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture(scope="session")
def unpack(corpus_dir):
    @functools.lru_cache(maxsize=None)
    def get(name: str) -> Path:
        out = corpus_dir / name.replace("/", "__")
        out.write_bytes(_bytes(name))
        return out
    return get


@pytest.fixture(scope="session")
def box(tmp_path_factory):
    b = tmp_path_factory.mktemp("corpus-box")
    (b / "sentinel").mkdir()
    return b


def _bounded(r: tl.Result, allowed=(0, 1)):
    assert r.returncode >= 0, f"killed by signal {-r.returncode}:\n" + r.describe()
    assert r.returncode in allowed, r.describe()


def _box_clean(box):
    assert list((box / "sentinel").iterdir()) == []
    stray = [p.name for p in box.iterdir() if p.name != "sentinel" and not p.name.startswith("dest-")]
    assert stray == [], stray


def has_rock_ridge(image: Path) -> bool:
    return has_rock_ridge_iso(tl.IsoImage.load(image))


def has_rock_ridge_iso(iso) -> bool:
    """SUSP SP entry in the root directory's '.' record (decoded here, not by dimg)."""
    try:
        root = iso.root_record()
        dot = iso.records(root)[0]
        return bytes(iso.data[dot.su_offset:dot.su_offset + 2]) == b"SP"
    except Exception:
        return False


def _px_entries(iso: tl.IsoImage, rec):
    for off, sig, ln in iso.susp_entries(rec):
        if sig == b"PX":
            mode, nlink, uid, gid = struct.unpack_from("<I4xI4xI4xI", iso.data, off + 4)
            return {"mode": mode, "nlink": nlink, "uid": uid, "gid": gid}
    return None


def _walk_rr(iso: tl.IsoImage, rec, prefix=""):
    for r in iso.children(rec):
        name = iso.rr_name(r)
        if name is None:
            continue
        path = prefix + name
        yield path, r
        if r.is_dir and not path.lower().startswith("rr_moved") and path.count("/") < 20:
            yield from _walk_rr(iso, r, path + "/")


# --- symlink targets decoded independently, with the Linux kernel's joining rules ----------


def _sl_target(iso: tl.IsoImage, rec):
    """Join SL components like fs/isofs/rock.c (get_symlink_chunk); None if no SL or the SL
    continues in a CE area."""
    sls = [(o, ln) for o, s, ln in iso.susp_entries(rec) if s == b"SL"]
    if not sls or any(s == b"CE" for _, s, _ in iso.susp_entries(rec)):
        return None
    out = ""
    for off, ln in sls:
        sl_flags = iso.data[off + 4]
        p, end = off + 5, off + ln
        prev = None
        while p + 2 <= end:
            flags, clen = iso.data[p], iso.data[p + 1]
            comp = bytes(iso.data[p + 2:p + 2 + clen])
            root = False
            kind = flags & ~1
            if kind == 0:
                out += comp.decode("utf-8", "surrogateescape")
            elif kind == 2:
                out += "."
            elif kind == 4:
                out += ".."
            elif kind == 8:
                root = True
                out += "/"
            prev = flags
            p += 2 + clen
            if p + 2 > end:
                if not root and sl_flags & 1 and not prev & 1:
                    out += "/"
                break
            if not root and not prev & 1:
                out += "/"
    return out


# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_bounded(dimg, unpack, box, name):
    img = unpack(name)
    for args in (["info", "--json", img], ["ls", "-R", "--json", img], ["ls", "-l", "-R", img],
                 ["ls", "-R", "--view", "joliet", img], ["ls", "-R", "--view", "plain", img]):
        _bounded(dimg.run(*args, timeout=TIMEOUT))
    dest = box / ("dest-" + name.replace("/", "__"))
    dest.mkdir()
    r = dimg.run("extract", "-C", dest, img, timeout=TIMEOUT)
    _bounded(r)
    _box_clean(box)


@pytest.mark.parametrize("name", UDF_OR_OTHER)
def test_other_images_bounded(dimg, unpack, name):
    """UDF-only and fragmentary images: whatever dimg supports, it must stay bounded."""
    img = unpack(name)
    for args in (["info", "--json", img], ["ls", "-R", img]):
        _bounded(dimg.run(*args, timeout=TIMEOUT))


@pytest.fixture(scope="session")
def extracted(dimg, unpack, corpus_dir):
    @functools.lru_cache(maxsize=None)
    def get(name):
        img = unpack(name)
        dest = corpus_dir / ("dimg-" + name.replace("/", "__"))
        dest.mkdir()
        r = dimg.run("extract", "-C", dest, img, timeout=60)
        return r, dest
    return get


@pytest.fixture(scope="session")
def bsdtar_extracted(unpack, corpus_dir):
    @functools.lru_cache(maxsize=None)
    def get(name):
        img = unpack(name)
        dest = corpus_dir / ("bsdtar-" + name.replace("/", "__"))
        cp = tl.bsdtar_extract(img, dest)
        return cp, dest
    return get


@pytest.mark.parametrize("name", GOOD)
def test_good_extract_matches_bsdtar(dimg, unpack, extracted, bsdtar_extracted, name):
    """The most valuable corpus test: dimg's extraction == bsdtar's, for every good ISO
    (modes compared only when the image has Rock Ridge; pycdlib where bsdtar is blind)."""
    img = unpack(name)
    r, dest = extracted(name)
    assert r.returncode == 0, r.describe()
    rr = has_rock_ridge(img)
    ours = tl.manifest_entries(dest, modes=rr)
    if name in PYCDLIB_ORACLE:
        theirs = tl.pycdlib_manifest(img)
        ours = tl.normalize_plain_entries(ours)
        theirs = tl.normalize_plain_entries(theirs)
        tl.assert_manifest_equal(tl.format_manifest(theirs), tl.format_manifest(ours),
                                 f"{name}: dimg vs pycdlib")
        return
    cp, bdest = bsdtar_extracted(name)
    skip = BSDTAR_CANNOT_CREATE.get(name, {})
    if skip:
        assert cp.returncode == 1, "oracle check: bsdtar was expected to fail on device nodes"
    else:
        assert cp.returncode == 0, f"oracle bsdtar failed: {cp.stderr!r}"
    theirs = tl.manifest_entries(bdest, modes=rr)
    for p, t in skip.items():
        assert ours.pop(p)[0] == t, p
        assert p not in theirs
    tl.assert_manifest_equal(tl.format_manifest(theirs), tl.format_manifest(ours),
                             f"{name}: dimg extract vs bsdtar -x")
    if rr:
        assert tl.hardlink_groups(dest) == tl.hardlink_groups(bdest), "hard links differ from bsdtar"


@pytest.mark.parametrize("name", GOOD)
def test_good_ls_matches_extract(dimg, unpack, extracted, name):
    img = unpack(name)
    r, dest = extracted(name)
    assert r.returncode == 0, r.describe()
    ls = tl.ls_to_entries(dimg.json("ls", "-R", "--json", img))
    ext = tl.manifest_entries(dest)
    ext = {p: v[:4] + ("?",) + v[5:] for p, v in ext.items()}
    if not has_rock_ridge(img):
        ls = tl.transform_entries(ls, drop_modes=True)
        ext = tl.transform_entries(ext, drop_modes=True)
    tl.assert_manifest_equal(tl.format_manifest(ext), tl.format_manifest(ls),
                             f"{name}: ls -R --json vs extract")


def _rr_names(min_px=0, min_sl=0):
    return [n for n in GOOD if "syzkaller/" not in n and _rr_info(n)[0]
            and _rr_info(n)[1] >= min_px and _rr_info(n)[2] >= min_sl]


@pytest.mark.parametrize("name", _rr_names(min_px=1))
def test_rock_ridge_px_fields(dimg, unpack, name):
    """uid, gid, nlink and permission bits of regular files and symlinks equal the PX entries
    decoded here (only records whose NM is entirely in the record)."""
    img = unpack(name)
    iso = tl.IsoImage.load(img)
    ls = tl.ls_entries_by_path(dimg.json("ls", "-R", "--json", img))
    checked = 0
    for path, rec in _walk_rr(iso, iso.root_record()):
        px = _px_entries(iso, rec)
        if px is None or path not in ls or ls[path]["type"] not in ("file", "symlink"):
            continue
        e = ls[path]
        assert (e["uid"], e["gid"]) == (px["uid"], px["gid"]), (path, e, px)
        assert e["nlink"] == px["nlink"], (path, e, px)
        if e["type"] == "file":
            assert e["mode"] == px["mode"] & 0o7777, (path, oct(e["mode"]), oct(px["mode"]))
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("name", _rr_names(min_sl=1))
def test_symlink_targets_kernel_rules(dimg, unpack, name):
    img = unpack(name)
    iso = tl.IsoImage.load(img)
    ls = tl.ls_entries_by_path(dimg.json("ls", "-R", "--json", img))
    want = {}
    for path, rec in _walk_rr(iso, iso.root_record()):
        t = _sl_target(iso, rec)
        if t is not None:
            want[path] = t
    assert want
    got = {p: ls[p]["target"] for p in want if p in ls}
    assert got == want


# --- expected values from files shipped with the corpus --------------------------------------


def _xz(path: Path) -> bytes:
    with lzma.open(path) as f:
        return f.read()


@pytest.fixture(scope="session")
def kdomanski_source(corpus_dir):
    dest = corpus_dir / "kdomanski-src"
    dest.mkdir()
    with tarfile.open(CORPUS / "kdomanski" / "test.iso_source.tar.xz") as tf:
        tf.extractall(dest)
    (root,) = [p for p in dest.iterdir() if p.is_dir()]
    return root


def test_kdomanski_rockridge_byte_exact(dimg, unpack, extracted, kdomanski_source):
    """test_rockridge.iso = the source tarball + the symlink generate.sh adds (names, types,
    sizes, contents byte-exact; the tarball's own modes/mtimes are from a later checkout)."""
    r, dest = extracted("kdomanski/test_rockridge.iso")
    assert r.returncode == 0, r.describe()
    want = tl.transform_entries(tl.manifest_entries(kdomanski_source), drop_modes=True,
                                drop_mtimes=True)
    want["this-is-a-symlink"] = ("symlink", "-", "-", "-", "-",
                                 "/usr/share/some-random-directory/even-deeper-path/symlink-target")
    got = tl.transform_entries(tl.manifest_entries(dest), drop_modes=True, drop_mtimes=True)
    tl.assert_manifest_equal(tl.format_manifest(want), tl.format_manifest(got),
                             "test_rockridge.iso vs test.iso_source.tar.xz")
    assert len(got) > 1000


def test_kdomanski_plain_byte_exact(dimg, unpack, extracted, kdomanski_source):
    """test.iso (no extensions): every file's bytes are in the directory of the same name
    (ISO names are 8.3-mangled, so contents are matched per directory)."""
    import collections
    r, dest = extracted("kdomanski/test.iso")
    assert r.returncode == 0, r.describe()

    def per_dir(entries):
        c = collections.Counter()
        for p, v in entries.items():
            if v[0] == "file":
                c[(tl.normalize_iso_name(p.rsplit("/", 1)[0]) if "/" in p else "", v[4])] += 1
        return c
    want = per_dir(tl.manifest_entries(kdomanski_source))
    got = per_dir(tl.manifest_entries(dest))
    assert got == want
    assert sum(got.values()) > 1000
    info = dimg.info(unpack("kdomanski/test.iso"))
    assert info["volume_id"] == "my-vol-id"


@pytest.mark.parametrize("name", ["libcdio/multi_extent_8k.iso",
                                  "libcdio/multi_extent_8k_emul_toc_padded.iso",
                                  "libcdio/multi_extent_8k_joliet.iso"])
def test_libcdio_multi_extent(dimg, unpack, extracted, name):
    payload = _xz(CORPUS / "libcdio" / "multi_extent_file.xz")
    img = unpack(name)
    r, dest = extracted(name)
    assert r.returncode == 0, r.describe()
    files = [p for p in dest.rglob("*") if p.is_file()]
    assert len(files) == 1, files
    assert files[0].read_bytes() == payload
    rel = str(files[0].relative_to(dest))
    assert dimg.ok("cat", img, rel).stdout == payload
    # extents: count the records of that file in the root directory (decoded here)
    iso = tl.IsoImage.load(img)
    recs = [x for x in iso.children(iso.root_record()) if not x.is_dir]
    want = [(x.extent, x.size) for x in recs]
    assert len(want) >= 2 and not recs[-1].flags & 0x80 and all(x.flags & 0x80 for x in recs[:-1])
    (e,) = dimg.json("ls", "--json", "--view", "plain", img)
    assert [(x["lba"], x["size"]) for x in e["extents"]] == want
    assert e["size"] == len(payload)


def test_libcdio_deep_directory(dimg, extracted):
    r, dest = extracted("libcdio/deep-directory.iso")
    assert r.returncode == 0, r.describe()
    p8 = dest / "1/2/3/4/5/6/7/8/8.txt"
    p14 = dest / "1/2/3/4/5/6/7/8/9/10/11/12/13/14/14.txt"
    assert p8.read_bytes() == _xz(CORPUS / "libcdio" / "deep_directory1_file.xz")
    assert p14.read_bytes() == _xz(CORPUS / "libcdio" / "deep_directory2_file.xz")


def _blkid_expected(name):
    path = CORPUS / "util-linux" / "expected" / name
    if not path.exists():
        return None
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]),
                            v.encode("utf-8")).decode("utf-8")
    return out


def _raw_ids(img):
    iso = tl.IsoImage.load(img)
    pvd = iso.volume_id().decode("latin-1").rstrip(" \x00")
    jol = None
    for off in iso.svd_offsets():
        esc = bytes(iso.data[off + 88:off + 91])
        if esc in (b"%/@", b"%/C", b"%/E"):
            jol = bytes(iso.data[off + 40:off + 72]).decode("utf-16-be", "replace").rstrip(" \x00")
    return pvd, jol


@pytest.mark.parametrize("stem", ["iso", "iso-joliet", "iso-rr-joliet", "iso-unicode-long-label",
                                  "iso-different-iso-joliet-label"])
def test_util_linux_labels(dimg, unpack, stem):
    """volume_id is the primary descriptor's identifier (decoded here); blkid's expected label
    is that, the Joliet identifier, or blkid's merge of the two (Joliet prefix + PVD tail)."""
    img = unpack(f"util-linux/{stem}.img")
    exp = _blkid_expected(f"low-probe-{stem}")
    assert exp, "oracle check: expected file missing"
    label = exp["ID_FS_LABEL_ENC"]
    pvd, jol = _raw_ids(img)
    info = dimg.info(img)
    assert info["volume_id"] == pvd, (info["volume_id"], pvd)
    if jol is not None and isinstance(info.get("joliet"), dict) and "volume_id" in info["joliet"]:
        assert info["joliet"]["volume_id"] == jol
    candidates = {pvd}
    if jol:
        candidates |= {jol, jol + pvd[len(jol):]}
    assert label in candidates, f"oracle check: blkid {label!r} not derivable from {candidates}"
    assert int(exp["ID_FS_FSSIZE"]) in (info["size"], tl.IsoImage.load(img).volume_blocks() * 2048)


def test_util_linux_multisession(dimg, unpack, tmp_path):
    """iso-multi-0-174-348-genisoimage: session starts are in the name, each session's label in
    expected/low-probe-iso-multi-genisoimage-<start>."""
    img = unpack("util-linux/iso-multi-0-174-348-genisoimage.img")
    info = dimg.info(img)
    starts = [s["start"] for s in info["sessions"]]
    assert starts == [0, 174, 348], info["sessions"]
    labels = [_blkid_expected(f"low-probe-iso-multi-genisoimage-{s}")["ID_FS_LABEL_ENC"]
              for s in starts]
    assert info["volume_id"] == labels[-1], "the newest session is the default"
    for i, s in enumerate(info["sessions"]):
        if "volume_id" in s:
            assert s["volume_id"] == labels[i]
    for n in (1, 2, 3):
        r = dimg.run("ls", "-R", "--json", "--session", n, img, timeout=TIMEOUT)
        assert r.returncode == 0, r.describe()


def test_go_diskfs_volume_descriptors(dimg, unpack, tmp_path):
    """volrecords.iso is the volume-descriptor set of a real distribution ISO (PVD, El Torito
    boot record, Joliet SVD, terminator) without anything else: placed at LBA 16 of an
    otherwise empty image, info must report the PVD's identifier decoded here, or fail
    cleanly because the directories are missing."""
    raw = unpack("go-diskfs/volrecords.iso").read_bytes()
    assert raw[1:6] == b"CD001", "oracle check"
    img = tmp_path / "vd.iso"
    img.write_bytes(bytes(16 * 2048) + raw + bytes(64 * 2048))
    r = dimg.run("info", "--json", img, timeout=TIMEOUT)
    _bounded(r)
    if r.returncode == 0:
        import json
        info = json.loads(r.stdout)
        want = raw[40:72].decode("latin-1").rstrip(" ")
        assert info["volume_id"] == want
        assert "joliet" in info["views"]
