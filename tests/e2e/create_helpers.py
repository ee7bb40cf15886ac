"""Helpers for the tests of `dimg create` and `dimg mkisofs` (test_create.py,
test_create_boot.py, test_mkisofs.py).

Everything that reads an image here is independent of dimg: the ISO 9660 structures are parsed
with dimg_testlib.IsoImage and the small parsers below, the rest is left to external readers.

Calibration: with DIMG_TEST_STANDIN=xorriso (or =genisoimage for `mkisofs` only) the commands
`dimg create` and `dimg mkisofs` are replaced by a reference image maker, so that the oracles
and expectations of these tests can be checked before (or independently of) dimg. `dimg create`
options are translated to `xorriso -as mkisofs` options where xorriso has an equivalent; the
others make the test skip in that mode. Without the variable (the normal case) dimg is run.
"""

from __future__ import annotations

import calendar
import hashlib
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import time
from pathlib import Path

import pytest

import dimg_testlib as tl

STANDIN = os.environ.get("DIMG_TEST_STANDIN") or None
SHARED_TOOLS = Path(os.environ.get("DIMG_SHARED_TOOLS", tl.REPO.parent / "shared" / "tools"))
ISOHDPFX = Path("/usr/lib/ISOLINUX/isohdpfx.bin")
PAD_BYTES = 150 * 2048          # mkisofs -pad: 150 sectors

# GPT partition type GUIDs
GUID_BASIC_DATA = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"
GUID_EFI_SYSTEM = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"


# --------------------------------------------------------------------------------------------
# running dimg (with cwd and environment removal, which Dimg.run lacks)


def run_cmd(cmd, *, env=None, cwd=None, timeout=300, unset=()) -> tl.Result:
    """Run a command like tl.Dimg.run (TZ, LC_ALL, sanitizer check) with optional cwd; env
    values of None and the names in `unset` are removed from the environment."""
    e = dict(os.environ)
    e["TZ"] = tl.READER_TZ
    e.setdefault("LC_ALL", "C.UTF-8")
    for k in unset:
        e.pop(k, None)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = str(v)
    cmd = [str(c) for c in cmd]
    try:
        cp = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                            env=e, cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as ex:
        raise AssertionError(f"did not finish within {timeout} s: {tl.fmt_cmd(cmd)}") from ex
    r = tl.Result(cmd, cp.returncode, cp.stdout, cp.stderr)
    for marker in tl.SANITIZER_MARKERS:
        if marker in cp.stderr:
            raise AssertionError("sanitizer report:\n" + r.describe() + "\n" +
                                 cp.stderr.decode(errors="replace")[-6000:])
    return r


def create_cmd(dimg, out, sources, opts) -> list:
    """The `dimg create` command line (or its stand-in, see the module docstring)."""
    if STANDIN:
        return _standin_create_cmd(out, sources, opts)
    return [dimg.path, "create", "-o", out, *opts, *sources]


def create(dimg, out, sources, *opts, env=None, cwd=None, timeout=300, unset=(),
           prefix=()) -> tl.Result:
    """Run `dimg create -o OUT OPTS SOURCES`; prefix is prepended (e.g. setpriv)."""
    cmd = create_cmd(dimg, out, list(sources), list(opts))
    if STANDIN and "--force" not in opts and "--dry-run" not in opts and Path(out).exists():
        return tl.Result(cmd, 1, b"", b"standin: output exists\n")
    if STANDIN and "--force" in opts and "--dry-run" not in opts and Path(out).exists():
        Path(out).unlink()
    r = run_cmd(list(prefix) + cmd, env=env, cwd=cwd, timeout=timeout, unset=unset)
    if STANDIN and "--dry-run" in opts and r.returncode == 0:
        m = re.search(rb"(\d+)\s*$", r.stdout)
        r = tl.Result(r.cmd, 0, b"size: %d\n" % (int(m.group(1)) * 2048), r.stderr)
    return r


def create_ok(dimg, out, sources, *opts, **kw) -> Path:
    r = create(dimg, out, sources, *opts, **kw)
    assert r.returncode == 0, "dimg create failed:\n" + r.describe()
    assert Path(out).is_file(), "dimg create exited 0 but wrote no image:\n" + r.describe()
    return Path(out)


def mkisofs_cmd(dimg, args) -> list:
    if STANDIN == "xorriso":
        return ["xorriso", "-as", "mkisofs", *args]
    if STANDIN == "genisoimage":
        return ["genisoimage", *args]
    return [dimg.path, "mkisofs", *args]


def mkisofs(dimg, *args, env=None, cwd=None, timeout=300) -> tl.Result:
    return run_cmd(mkisofs_cmd(dimg, list(args)), env=env, cwd=cwd, timeout=timeout)


def mkisofs_ok(dimg, *args, **kw) -> tl.Result:
    r = mkisofs(dimg, *args, **kw)
    assert r.returncode == 0, "dimg mkisofs failed:\n" + r.describe()
    return r


def _standin_create_cmd(out, sources, opts):
    """Translate `dimg create` options to `xorriso -as mkisofs` (calibration only)."""
    if STANDIN != "xorriso":
        pytest.skip(f"DIMG_TEST_STANDIN={STANDIN} has no `create` translation")
    rr, joliet, level, volid, dry = "-R", True, "3", None, False
    args, boot, grafts = [], [], []
    it = iter(opts)
    simple = {"--volume-id": "-V", "--system-id": "-sysid", "--publisher": "-publisher",
              "--preparer": "-p", "--application": "-A", "--volume-set": "-volset",
              "--exclude": "-m", "--uid": "-uid", "--gid": "-gid", "--file-mode": "-file-mode",
              "--dir-mode": "-dir-mode"}
    for o in it:
        if o in simple:
            v = next(it)
            if o == "--volume-id":
                volid = v
            else:
                args += [simple[o], v]
        elif o == "--force" or o == "--reproducible":
            pass
        elif o == "--dry-run":
            dry = True
        elif o == "--level":
            level = next(it)
        elif o == "--no-joliet":
            joliet = False
        elif o == "--joliet-long":
            args.append("-joliet-long")
        elif o == "--no-rock-ridge":
            rr = "--norock"
        elif o == "--rationalize":
            rr = "-r"
        elif o == "--pad":
            args.append("-pad")
        elif o == "--no-pad":
            args.append("-no-pad")
        elif o == "--map":
            grafts.append(next(it))
        elif o == "--sort":
            args += ["-sort", next(it)]
        elif o == "--boot-bios":
            boot += ["-b", next(it), "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table"]
        elif o == "--boot-efi":
            if boot:
                boot.append("-eltorito-alt-boot")
            boot += ["-e", next(it), "-no-emul-boot"]
        elif o == "--boot-catalog":
            args += ["-c", next(it)]
        elif o == "--hybrid-mbr":
            args += ["-isohybrid-mbr", next(it)]
        elif o == "--gpt":
            args.append("-isohybrid-gpt-basdat")
        else:
            pytest.skip(f"no xorriso stand-in for dimg create option {o}")
    if volid is None and sources:
        volid = default_volume_id(Path(sources[0]).name)
    cmd = ["xorriso", "-as", "mkisofs", "-quiet", rr, "-iso-level", level]
    if joliet:
        cmd.append("-J")
    if volid:
        cmd += ["-V", volid]
    cmd += args + boot
    if grafts:
        cmd += ["-graft-points"] + [f"/={s}" for s in sources] + grafts
    else:
        cmd += list(sources)
    if dry:
        return cmd + ["-print-size"]
    return cmd + ["-o", out]


def default_volume_id(name: str) -> str:
    """What the contract asks for, for names that are already d-characters once upper-cased."""
    return re.sub(r"[^A-Z0-9_]", "_", name.upper())[:32]


# --------------------------------------------------------------------------------------------
# memo: build an image or extraction once per module, re-raise its failure in every test


class Memo:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self._cache = {}

    def get(self, key, fn):
        if key not in self._cache:
            try:
                self._cache[key] = ("ok", fn())
            except BaseException as e:  # noqa: BLE001 - re-raised for every user
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                self._cache[key] = ("err", e)
        kind, val = self._cache[key]
        if kind == "err":
            raise val
        return val

    def path(self, name) -> Path:
        return self.tmp / name


# --------------------------------------------------------------------------------------------
# requirements


def require_shared_tool(name: str) -> Path:
    """A tool of ../shared/tools (development oracles, not packages): skip when ../shared/tools
    is not there at all (the suite must pass without it); when the folder is there but the
    tool is not, fail in CI like tl.require_tool."""
    p = SHARED_TOOLS / name
    if not (p.is_file() and os.access(p, os.X_OK)):
        msg = f"shared tool {p} is not available"
        if tl.in_ci() and SHARED_TOOLS.is_dir():
            pytest.fail(msg + " (CI is set: oracle tests must not be skipped)", pytrace=False)
        pytest.skip(msg)
    return p


def require_file(path: Path, package: str) -> Path:
    if not Path(path).is_file():
        msg = f"{path} is missing (apt: {package})"
        if tl.in_ci():
            pytest.fail(msg + " (CI is set: oracle tests must not be skipped)", pytrace=False)
        pytest.skip(msg)
    return Path(path)


# --------------------------------------------------------------------------------------------
# trees


def write_file(root: Path, rel: str, data: bytes, mtime: int | None = None, mode=None) -> Path:
    p = Path(root) / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    if mode is not None:
        p.chmod(mode)
    if mtime is not None:
        os.utime(p, (mtime, mtime))
    return p


def content(n: int, seed) -> bytes:
    return tl._content(n, seed)


J64 = "j" * 60 + ".txt"            # 64 characters: the Joliet limit
J65 = "k" * 61 + ".txt"            # one more
J103 = "l" * 99 + ".txt"           # 103: the -joliet-long limit
J104 = "n" * 100 + ".txt"          # one more
JDIR64 = "d" * 64
JOLIET_NAMES = {                   # relative path -> seed
    J64: 1, J65: 2, J103: 3, J104: 4, JDIR64 + "/inner.txt": 5,
    "caf\u00e9.txt": 6, "\u65e5\u672c\u8a9e.txt": 7, "\u00c5ngstr\u00f6m dir/inner.txt": 8,
    "with space.txt": 9, "UPPER.TXT": 10, "lower.txt": 11, "many.dots.in.name.tar.gz": 12,
    "MiXeD CaSe.Data": 13,
}


def make_joliet_tree(root: Path) -> Path:
    root.mkdir(parents=True)
    for i, (rel, seed) in enumerate(sorted(JOLIET_NAMES.items())):
        write_file(root, rel, content(100 + seed * 37, f"joliet{seed}"), 1500000000 + i * 1000)
    for d in sorted({str(Path(r).parent) for r in JOLIET_NAMES if "/" in r}):
        os.utime(root / d, (1400000000, 1400000000))
    return root


# names that collide once mapped to ISO 9660 level 1 (8.3) or level 2/3 (31 characters)
LEVEL_NAMES = [
    "abcdefghijkl.txt", "abcdefghijkm.txt", "ABCDEFGHIJKN.TXT", "abcdefgh.txt",
    "a.b.c.d", "lower.case.txt", "semi;colon", "with space.txt", "plus+minus-equals=.c",
    "x" * 40 + ".dat", "x" * 40 + ".dax", "x" * 41 + ".dat", "y" * 40, "y" * 41,
    "file.extension_long", "file.extension_lonh", "NOEXT", "noext",
    "longdirectoryname1/f.txt", "longdirectoryname2/f.txt", "longdirectoryname2/g.txt",
    "Dir.With.Dots/inner.txt", "z" * 35 + "/inner.txt", "z" * 36 + "/inner.txt",
]


def make_level_tree(root: Path, *, reverse=False) -> Path:
    """Files with unique contents whose names collide at ISO levels 1 and 2. reverse=True
    creates them in the opposite order (a different directory order on disk)."""
    root.mkdir(parents=True)
    names = list(reversed(LEVEL_NAMES)) if reverse else list(LEVEL_NAMES)
    for rel in names:
        write_file(root, rel, b"level-tree:" + rel.encode() + b"\n", 1600000000)
    return root


ISO1999_NAMES = ["with space.txt", "lower.case.name.txt", "x" * 150 + ".dat", "NoExtension",
                 "Mixed Case Dir/inner file.txt", "Mixed Case Dir/deeper/a.b.c.d.e",
                 "semi;colon"]


def make_iso1999_tree(root: Path) -> Path:
    root.mkdir(parents=True)
    for i, rel in enumerate(ISO1999_NAMES):
        write_file(root, rel, content(500 + i, f"1999-{i}"), 1650000000)
    return root


# --------------------------------------------------------------------------------------------
# raw ISO 9660 reading (independent of dimg)


PVD_FIELDS = {           # name -> (offset, length) in a primary volume descriptor
    "system_id": (8, 32), "volume_id": (40, 32), "volume_set_id": (190, 128),
    "publisher_id": (318, 128), "preparer_id": (446, 128), "application_id": (574, 128),
}


def pvd_field(iso: tl.IsoImage, name: str) -> str:
    off, ln = PVD_FIELDS[name]
    raw = bytes(iso.data[iso.pvd_offset() + off: iso.pvd_offset() + off + ln])
    return raw.decode("latin-1").rstrip(" ")


def dec_datetime(b: bytes) -> int | None:
    """ECMA-119 8.4.26.1 17-byte volume date -> UTC seconds (None when unset)."""
    digits = b[:16]
    if digits.strip(b"0") == b"" or digits.strip(b"\0 ") == b"":
        return None
    s = digits.decode("ascii")
    t = calendar.timegm((int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]),
                         int(s[12:14]), 0, 0, 0))
    off = b[16]
    if off > 127:
        off -= 256
    return t - off * 15 * 60


def pvd_dates(iso: tl.IsoImage) -> dict:
    base = iso.pvd_offset()
    return {name: dec_datetime(bytes(iso.data[base + off: base + off + 17]))
            for name, off in (("creation", 813), ("modification", 830), ("expiration", 847),
                              ("effective", 864))}


def descriptors(iso: tl.IsoImage):
    """(lba, type, version, offset) of the volume descriptors."""
    return [(lba, t, iso.data[off + 6], off) for lba, t, off in iso.descriptors()]


def joliet_svd_offsets(iso: tl.IsoImage) -> list[int]:
    out = []
    for lba, t, ver, off in descriptors(iso):
        if t == 2 and ver == 1 and bytes(iso.data[off + 88: off + 91]) in (b"%/@", b"%/C", b"%/E"):
            out.append(off)
    return out


def iso1999_evd_offsets(iso: tl.IsoImage) -> list[int]:
    return [off for lba, t, ver, off in descriptors(iso) if t == 2 and ver == 2]


def susp_entries(iso: tl.IsoImage, rec: tl.DirRecord, *, skip=0) -> list[tuple[bytes, bytes]]:
    """(signature, whole entry bytes) of the SUSP entries of a record, following CE."""
    data = iso.data
    areas = [(rec.su_offset + skip, rec.offset + rec.length)]
    out = []
    seen = 0
    while areas and seen < 64:
        start, end = areas.pop(0)
        seen += 1
        off = start
        while off + 4 <= end:
            sig = bytes(data[off:off + 2])
            ln = data[off + 2]
            if ln < 4 or off + ln > end:
                break
            entry = bytes(data[off:off + ln])
            out.append((sig, entry))
            if sig == b"CE":
                blk = struct.unpack_from("<I", entry, 4)[0]
                o = struct.unpack_from("<I", entry, 12)[0]
                n = struct.unpack_from("<I", entry, 20)[0]
                areas.append((blk * tl.SECTOR + o, blk * tl.SECTOR + o + n))
            if sig == b"ST":
                break
            off += ln
    return out


def root_dot(iso: tl.IsoImage, vd_off=None) -> tl.DirRecord:
    return iso.records(iso.root_record(vd_off))[0]


def er_ids(iso: tl.IsoImage) -> list[str]:
    """Extension identifiers of the ER entries in the root's '.' record."""
    out = []
    for sig, e in susp_entries(iso, root_dot(iso)):
        if sig == b"ER":
            len_id = e[4]
            out.append(e[8:8 + len_id].decode("latin-1"))
    return out


def has_sp(iso: tl.IsoImage, vd_off=None) -> bool:
    rec = root_dot(iso, vd_off)
    d = iso.data
    return bytes(d[rec.su_offset: rec.su_offset + 2]) == b"SP" and \
        bytes(d[rec.su_offset + 4: rec.su_offset + 6]) == b"\xbe\xef"


def rr_child(iso: tl.IsoImage, parent: tl.DirRecord, name: str) -> tl.DirRecord:
    for r in iso.children(parent):
        nm = b"".join(e[5:] for sig, e in susp_entries(iso, r) if sig == b"NM")
        if nm.decode("utf-8", "replace") == name:
            return r
    raise KeyError(name)


def rr_lookup(iso: tl.IsoImage, path: str) -> tl.DirRecord:
    cur = iso.root_record()
    for comp in path.strip("/").split("/"):
        cur = rr_child(iso, cur, comp)
    return cur


def px_length(iso: tl.IsoImage, rec: tl.DirRecord) -> int | None:
    for sig, e in susp_entries(iso, rec):
        if sig == b"PX":
            return e[2]
    return None


def raw_walk(iso: tl.IsoImage, vd_off=None):
    """Every directory record below the root of a tree (plain, Joliet or 1999), as
    (list of raw identifiers from the root, record). Multi-extent files give one item per
    record. Directories are followed by their first extent."""
    out = []
    seen = set()

    def walk(dirrec, prefix, depth):
        if dirrec.extent in seen or depth > 64:
            return
        seen.add(dirrec.extent)
        for r in iso.children(dirrec):
            out.append((prefix + [r.name], r))
            if r.is_dir:
                walk(r, prefix + [r.name], depth + 1)

    walk(iso.root_record(vd_off), [], 1)
    return out


def record_data(iso: tl.IsoImage, rec: tl.DirRecord) -> bytes:
    return bytes(iso.data[rec.extent * tl.SECTOR: rec.extent * tl.SECTOR + rec.size])


def plain_files(iso: tl.IsoImage) -> dict:
    """{'DIR/NAME.EXT;1' (raw identifiers joined by /): data} of the single-extent files of
    the primary tree."""
    out = {}
    for comps, r in raw_walk(iso):
        if not r.is_dir:
            out["/".join(c.decode("latin-1") for c in comps)] = record_data(iso, r)
    return out


DCHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def level_violation(ident: bytes, is_dir: bool, level: int) -> str | None:
    """Why an identifier breaks ECMA-119 7.5/7.6 at interchange level 1 or 2/3 (None if OK)."""
    try:
        s = ident.decode("ascii")
    except UnicodeDecodeError:
        return "not ASCII"
    if is_dir:
        # ECMA-119 7.6.1 allows d-characters only, but genisoimage and xorriso both keep one
        # '.' in directory names (DIR_WITH.DOT); tolerated here in the same shape as files
        if s.count(".") > 1 or not s.strip(".") or any(c not in DCHARS for c in s.replace(".", "")):
            return "directory identifier with non-d-characters"
        name, _, ext = s.partition(".")
        if level == 1 and (len(name) > 8 or len(ext) > 3):
            return "directory identifier not 8.3"
        if len(s) > 31:
            return "directory identifier longer than 31"
        return None
    if ";" not in s:
        return "no ';' version separator"
    base, ver = s.rsplit(";", 1)
    if not ver.isdigit() or not 1 <= int(ver) <= 32767:
        return "bad version number"
    if base.count(".") != 1:
        return "not exactly one '.' separator"
    name, ext = base.split(".")
    if not name and not ext:
        return "empty name and extension"
    if any(c not in DCHARS for c in name + ext):
        return "non-d-characters"
    if level == 1 and (len(name) > 8 or len(ext) > 3):
        return "not 8.3"
    if level != 1 and len(name) + len(ext) > 30:
        return "name + extension longer than 30"
    return None


# --------------------------------------------------------------------------------------------
# partition tables


def mbr_partitions(data: bytes) -> list[tuple[int, int, int, int]]:
    """(status, type, start byte, size bytes) of the used MBR entries."""
    out = []
    if data[510:512] != b"\x55\xaa":
        return out
    for i in range(4):
        e = data[446 + 16 * i: 446 + 16 * (i + 1)]
        start, count = struct.unpack_from("<II", e, 8)
        if count:            # (isohybrid's whole-image partition 1 may have type 0x00)
            out.append((e[0], e[4], start * 512, count * 512))
    return out


def gpt_partitions(data: bytes) -> list[tuple[str, int, int]]:
    """(type GUID, start byte, size bytes) of the used GPT entries (primary header at LBA 1)."""
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


def gpt_header_ok(data: bytes) -> str | None:
    """Check the primary GPT header's CRCs (None when fine)."""
    import zlib
    hdr = bytearray(data[512:1024])
    if hdr[:8] != b"EFI PART":
        return "no GPT header at LBA 1"
    hsize = struct.unpack_from("<I", hdr, 12)[0]
    crc = struct.unpack_from("<I", hdr, 16)[0]
    h = bytearray(hdr[:hsize])
    h[16:20] = b"\0\0\0\0"
    if zlib.crc32(bytes(h)) & 0xFFFFFFFF != crc:
        return "GPT header CRC mismatch"
    ent_lba, n, esize, ecrc = struct.unpack_from("<QIII", hdr, 72)
    arr = data[ent_lba * 512: ent_lba * 512 + n * esize]
    if zlib.crc32(bytes(arr)) & 0xFFFFFFFF != ecrc:
        return "GPT entry array CRC mismatch"
    return None


# --------------------------------------------------------------------------------------------
# external readers


def isoinfo_d(image) -> dict:
    tl.require_tool("isoinfo")
    cp = tl.run(["isoinfo", "-d", "-i", image], timeout=60)
    out = {}
    for line in cp.stdout.decode("latin-1").splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    out["_text"] = cp.stdout.decode("latin-1")
    return out


# isoinfo prints "[ extent flags]  name"; for a multi-extent record its flags field overflows
# ("[     33 FFFF NAME;1")
# owners are printed in octal and may run together ("17777177776" for 65534 65534)
ISOINFO_LINE = re.compile(r"^([-dlcbps][-rwxsStT]{9})\s+(\d+)\s+(\d+\s+\d+|\d+)()\s+(\d+)\s+"
                          r"(\w{3} +\d+ +\d{4}) \[\s*(\d+) +(?:([0-9A-Fa-f]+)\]\s\s|"
                          r"([0-9A-Fa-f]+) )(.*)$")


def isoinfo_listing(image, *opts) -> list[dict]:
    """Entries of `isoinfo -l [opts] -i IMAGE` (without . and ..): path, modestr, nlink, uid,
    gid, size, extent, name (raw), target."""
    tl.require_tool("isoinfo")
    cp = tl.run(["isoinfo", "-l", *opts, "-i", image], timeout=120)
    cur = None
    out = []
    for line in cp.stdout.decode("utf-8", "surrogateescape").splitlines():
        if line.startswith("Directory listing of "):
            cur = line[len("Directory listing of "):]
            continue
        m = ISOINFO_LINE.match(line)
        if not m:
            continue
        name = m.group(10)
        target = None
        if m.group(1).startswith("l") and " -> " in name:
            name, target = name.split(" -> ", 1)
        elif name.endswith(" "):
            name = name[:-1]
        if name in (".", "..", ""):     # (with an NM CURRENT/PARENT entry '.' prints empty)
            continue
        out.append({"path": (cur + name).lstrip("/"), "modestr": m.group(1),
                    "nlink": int(m.group(2)), "owners_octal": m.group(3),
                    "size": int(m.group(5)), "extent": int(m.group(7)), "name": name,
                    "flags": m.group(8) or m.group(9),
                    "target": target})
    return out


def xorriso_report(image, *cmds) -> str:
    tl.require_tool("xorriso")
    cp = tl.run(["xorriso", "-indev", image, *cmds], check=False, timeout=120)
    text = cp.stdout.decode("utf-8", "replace") + cp.stderr.decode("utf-8", "replace")
    assert cp.returncode == 0, f"xorriso exited {cp.returncode}:\n{text[-3000:]}"
    return text


def xorriso_problems(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if re.search(r"\b(FAILURE|SORRY|FATAL|ABORT)\b", ln)]


def xorriso_system_area(image) -> dict:
    text = xorriso_report(image, "-report_system_area", "plain")
    out = {"summary": "", "mbr": [], "gpt_types": [], "gpt_ranges": [], "text": text}
    for line in text.splitlines():
        if line.startswith("System area summary:"):
            out["summary"] = line.split(":", 1)[1].strip()
        elif line.startswith("MBR partition      :"):
            f = line.split(":", 1)[1].split()
            out["mbr"].append((int(f[0]), f[1], f[2], int(f[3]), int(f[4])))
        elif line.startswith("GPT type GUID      :"):
            f = line.split(":", 1)[1].split()
            out["gpt_types"].append((int(f[0]), f[1]))
        elif line.startswith("GPT start and size :"):
            f = line.split(":", 1)[1].split()
            out["gpt_ranges"].append((int(f[0]), int(f[1]), int(f[2])))
    return out


def xorriso_lba_of(image, path) -> int:
    ext = tl.xorriso_report_lba(image)[path.lstrip("/")]
    return ext[0][0]


def bsdtar_extract_ok(image, dest) -> Path:
    cp = tl.bsdtar_extract(image, dest)
    assert cp.returncode == 0, f"oracle bsdtar failed: {cp.stderr.decode(errors='replace')}"
    return Path(dest)


def xorriso_extract_ok(image, dest) -> Path:
    cp = tl.xorriso_extract(image, dest)
    text = cp.stdout.decode(errors="replace") + cp.stderr.decode(errors="replace")
    assert cp.returncode == 0, f"oracle xorriso -osirrox failed:\n{text[-3000:]}"
    return Path(dest)


def sevenzip_extract_ok(image, dest) -> Path:
    tl.require_tool("7zz")
    Path(dest).mkdir(parents=True, exist_ok=True)
    cp = tl.run(["7zz", "x", "-y", f"-o{dest}", image], check=False, timeout=300)
    assert cp.returncode == 0, f"oracle 7zz failed ({cp.returncode}):\n" + \
        (cp.stdout + cp.stderr).decode(errors="replace")[-3000:]
    return Path(dest)


def without_symlink_mtimes(entries: dict) -> dict:
    return {p: (v[:3] + ("-",) + v[4:] if v[0] == "symlink" else v) for p, v in entries.items()}


def only(entries: dict, types=("file",)) -> dict:
    return {p: v for p, v in entries.items() if v[0] in types}


def owners(root) -> dict:
    root = Path(root)
    out = {}
    for p in sorted(root.rglob("*")):
        st = os.lstat(p)
        out[str(p.relative_to(root))] = (st.st_uid, st.st_gid)
    return out


# --------------------------------------------------------------------------------------------
# sparse files and streams


sparse_sha256 = tl.sparse_sha256


def stream_sha256(cmd, timeout=900) -> tuple[str, int, int, bytes]:
    """(sha256 of stdout, byte count, exit status, stderr) of a command, streamed."""
    h = hashlib.sha256()
    n = 0
    with subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as p:
        import threading
        err = []
        t = threading.Thread(target=lambda: err.append(p.stderr.read()))
        t.start()
        while True:
            b = p.stdout.read(1 << 22)
            if not b:
                break
            h.update(b)
            n += len(b)
        rc = p.wait(timeout=timeout)
        t.join()
    return h.hexdigest(), n, rc, err[0] if err else b""


# --------------------------------------------------------------------------------------------
# privilege drop and mounts (the suite runs as root)


def setpriv_prefix() -> list[str]:
    """Run as root but without the capabilities that bypass file permissions."""
    if os.geteuid() != 0:
        return []
    tl.require_tool("setpriv")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner",
            "--"]


class TmpfsMount:
    """A small tmpfs (root only); skips when mounting is not permitted here."""

    def __init__(self, path: Path, size="1m", ro=False):
        self.path = Path(path)
        self.size = size
        self.ro = ro

    def __enter__(self):
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        self.path.mkdir(parents=True, exist_ok=True)
        opts = f"size={self.size},mode=0755" + (",ro" if self.ro else "")
        cp = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "dimgtest", str(self.path)],
                            capture_output=True, text=True)
        if cp.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {cp.stderr.strip()}")
        return self.path

    def __exit__(self, *exc):
        subprocess.run(["umount", str(self.path)], capture_output=True)
        return False


def listdir(path) -> list[str]:
    return sorted(os.listdir(path))


def wait_stop_when(proc: subprocess.Popen, cond, timeout=120, poll=0.0005) -> bool:
    """Poll cond() until it holds, then SIGSTOP proc. False if proc ended first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        if cond():
            os.kill(proc.pid, signal.SIGSTOP)
            return True
        time.sleep(poll)
    return False


def mode_str(mode: int) -> str:
    return stat.filemode(mode)


def tool_path(name: str) -> str | None:
    return shutil.which(name)


def unrelocator(src_entries: dict):
    """For readers that do not follow Rock Ridge relocation (CL/PL/RE: isoinfo, iso-info,
    pycdlib 1.x): a function mapping 'rr_moved/NAME/rest' to the source path of directory NAME
    (matched case-insensitively; the names of relocated directories must be unique in the
    source), and 'rr_moved' itself to None."""
    by_name = {}
    for p, v in src_entries.items():
        if v[0] == "dir":
            by_name.setdefault(p.rsplit("/", 1)[-1].lower(), []).append(p)

    def fix(path: str):
        comps = path.split("/")
        if comps[0].lower() not in ("rr_moved", ".rr_moved"):
            return path
        if len(comps) == 1:
            return None
        cands = by_name.get(comps[1].lower(), [])
        assert len(cands) == 1, f"cannot place relocated {path!r}: candidates {cands}"
        return "/".join([cands[0]] + comps[2:])
    return fix


def is_cl_placeholder(iso: tl.IsoImage, rec: tl.DirRecord) -> bool:
    """A Rock Ridge CL record: the file-typed stand-in for a relocated directory (named like
    the directory, without a version, by genisoimage as well)."""
    return not rec.is_dir and any(sig == b"CL" for sig, e in susp_entries(iso, rec))
