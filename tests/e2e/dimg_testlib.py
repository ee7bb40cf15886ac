"""Helpers for dimg end-to-end tests.

Nothing here depends on dimg itself except `Dimg`; the tree generator, the manifest and the
ISO 9660 byte helpers can be tested (and are used) independently of the binary.

A manifest is one sorted line per entry below a root (the root itself is not listed):

    path type mode size mtime sha256 target

* path   - relative, "/"-separated, UTF-8 (names may contain spaces; the line is for humans and
           for diffs, comparisons are done on the lines as whole strings)
* type   - file, dir, symlink, chardev, blockdev, fifo, socket
* mode   - permission bits in octal (S_IMODE), "-" for symlinks (always 777 on Linux)
* size   - byte size for files, "-" otherwise (on-disc directory sizes differ between tools)
* mtime  - UTC seconds since the epoch (integer)
* sha256 - of the content for files, "-" otherwise
* target - symlink target, "-" otherwise
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SECTOR = 2048

# --------------------------------------------------------------------------------------------
# tools


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def require_tool(name: str) -> str:
    """Return the path of an external tool (oracle or image maker).

    Missing tool: the test SKIPS on a developer machine but FAILS in CI (env CI set): oracle
    tests must fail, not skip, in CI when their tool is missing."""
    path = shutil.which(name)
    if path is None:
        for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin"):
            if os.access(os.path.join(d, name), os.X_OK):
                path = os.path.join(d, name)
                break
    if path is None:
        msg = f"required tool {name!r} is not installed"
        if in_ci():
            pytest.fail(msg + " (CI is set: oracle tests must not be skipped)", pytrace=False)
        pytest.skip(msg)
    return path


def require_python_module(name: str):
    """Import a module from the Debian python (e.g. pycdlib); skip/fail like require_tool."""
    try:
        return __import__(name)
    except ImportError:
        msg = f"python module {name!r} is not installed (apt: python3-{name})"
        if in_ci():
            pytest.fail(msg + " (CI is set: oracle tests must not be skipped)", pytrace=False)
        pytest.skip(msg)


def dimg_path() -> Path:
    return Path(os.environ.get("DIMG", REPO / "build" / "dimg")).absolute()


def find_dimg() -> Path:
    p = dimg_path()
    if not (p.is_file() and os.access(p, os.X_OK)):
        pytest.fail(
            f"dimg binary not found or not executable at {p} "
            "(build it first, e.g. `make`, or set DIMG=/path/to/dimg)",
            pytrace=False,
        )
    return p


# a timezone with a non-whole-hour offset and no DST, and one with DST, so that any confusion
# between local time and UTC (in the image makers or in dimg) shows up as a wrong mtime
MAKER_TZ = "Asia/Kathmandu"        # +05:45
READER_TZ = "America/St_Johns"     # -03:30 / -02:30


def run(cmd, *, timeout=120, check=True, env=None, cwd=None, input=None) -> subprocess.CompletedProcess:
    """Run a command, capture bytes output, raise with full context on failure."""
    e = dict(os.environ)
    if env:
        e.update(env)
    cp = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=timeout, env=e, cwd=cwd, input=input)
    if check and cp.returncode != 0:
        raise AssertionError(
            f"command failed with exit {cp.returncode}: {fmt_cmd(cmd)}\n"
            f"stderr:\n{cp.stderr.decode(errors='replace')[-4000:]}")
    return cp


def fmt_cmd(cmd) -> str:
    import shlex
    return " ".join(shlex.quote(str(c)) for c in cmd)


@dataclass
class Result:
    cmd: list
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")

    def describe(self) -> str:
        return (f"$ {fmt_cmd(self.cmd)}\nexit {self.returncode}\n"
                f"stdout: {self.out[:2000]!r}\nstderr: {self.err[:2000]!r}")


# an ASan/UBSan/MSan build reports here even when the exit code looks fine
SANITIZER_MARKERS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error: ",
                     b"WARNING: MemorySanitizer", b"ERROR: UndefinedBehaviorSanitizer")


class Dimg:
    """Thin runner for the dimg binary."""

    def __init__(self, path: Path):
        self.path = path

    def run(self, *args, timeout=60, env=None) -> Result:
        e = dict(os.environ)
        e["TZ"] = READER_TZ
        e.setdefault("LC_ALL", "C.UTF-8")
        if env:
            e.update(env)
        cmd = [str(self.path)] + [str(a) for a in args]
        try:
            cp = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                timeout=timeout, env=e, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as ex:
            raise AssertionError(f"dimg did not finish within {timeout} s: {fmt_cmd(cmd)}") from ex
        r = Result(cmd, cp.returncode, cp.stdout, cp.stderr)
        for marker in SANITIZER_MARKERS:
            if marker in cp.stderr:
                raise AssertionError("sanitizer report:\n" + r.describe() + "\n" +
                                     cp.stderr.decode(errors="replace")[-6000:])
        return r

    def ok(self, *args, **kw) -> Result:
        r = self.run(*args, **kw)
        assert r.returncode == 0, "dimg failed:\n" + r.describe()
        return r

    def json(self, *args, **kw):
        r = self.ok(*args, **kw)
        try:
            return json.loads(r.stdout)
        except ValueError as ex:
            raise AssertionError(f"dimg printed invalid JSON ({ex}):\n" + r.describe()) from ex

    def ls(self, image, path=None, *opts):
        args = ["ls", "-R", "--json", *opts, image]
        if path is not None:
            args.append(path)
        return self.json(*args)

    def info(self, image, *opts):
        return self.json("info", "--json", *opts, image)

    def extract(self, image, dest, *opts, timeout=120) -> Result:
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        return self.ok("extract", "-C", dest, *opts, image, timeout=timeout)


# --------------------------------------------------------------------------------------------
# manifests


def sparse_sha256(path, size) -> str:
    """sha256 of a (sparse) file, hashing holes from a zero buffer without reading them."""
    h = hashlib.sha256()
    zero = bytes(1 << 24)
    with open(path, "rb") as f:
        fd = f.fileno()
        pos = 0
        while pos < size:
            try:
                data = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                data = size
            while pos < data:
                n = min(len(zero), data - pos)
                h.update(zero[:n])
                pos += n
            if pos >= size:
                break
            hole = os.lseek(fd, pos, os.SEEK_HOLE)
            f.seek(pos)
            while pos < hole:
                b = f.read(min(1 << 24, hole - pos))
                h.update(b)
                pos += len(b)
    return h.hexdigest()


def sha256_file(path, chunk=1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def _type_of(st_mode: int) -> str:
    if stat.S_ISREG(st_mode):
        return "file"
    if stat.S_ISDIR(st_mode):
        return "dir"
    if stat.S_ISLNK(st_mode):
        return "symlink"
    if stat.S_ISCHR(st_mode):
        return "chardev"
    if stat.S_ISBLK(st_mode):
        return "blockdev"
    if stat.S_ISFIFO(st_mode):
        return "fifo"
    if stat.S_ISSOCK(st_mode):
        return "socket"
    return "unknown"


def manifest_entries(root, *, modes=True, mtimes=True, exclude=()):
    """Walk root (not following symlinks) and return {relpath: (type, mode, size, mtime, sha, target)}."""
    root = os.fspath(root)
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in list(dirnames) + sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if rel in exclude or any(rel.startswith(e + "/") for e in exclude):
                continue
            st = os.lstat(full)
            t = _type_of(st.st_mode)
            mode = "-" if t == "symlink" or not modes else format(stat.S_IMODE(st.st_mode), "o")
            size = str(st.st_size) if t == "file" else "-"
            mtime = str(int(st.st_mtime // 1)) if mtimes else "-"
            sha = sha256_file(full) if t == "file" else "-"
            target = os.readlink(full) if t == "symlink" else "-"
            out[rel] = (t, mode, size, mtime, sha, target)
    return out


def manifest(root, **kw) -> list[str]:
    """Sorted manifest lines of a directory tree (see module docstring)."""
    return format_manifest(manifest_entries(root, **kw))


def format_manifest(entries: dict) -> list[str]:
    return sorted(" ".join((p,) + tuple(v)) for p, v in entries.items())


def manifest_diff(expected: list[str], actual: list[str], limit=40) -> str:
    e, a = set(expected), set(actual)
    missing = sorted(e - a)
    extra = sorted(a - e)
    lines = [f"{len(missing)} expected line(s) missing, {len(extra)} unexpected line(s)"]
    lines += ["  - " + x for x in missing[:limit]]
    lines += ["  + " + x for x in extra[:limit]]
    return "\n".join(lines)


def assert_manifest_equal(expected: list[str], actual: list[str], what=""):
    if expected != actual:
        raise AssertionError(f"manifest mismatch {what}\n" + manifest_diff(expected, actual))


def hardlink_groups(root) -> set[frozenset]:
    """Groups (size >= 2) of regular-file paths that share an inode."""
    root = os.fspath(root)
    by_ino: dict = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if stat.S_ISREG(st.st_mode):
                by_ino.setdefault((st.st_dev, st.st_ino), []).append(
                    os.path.relpath(full, root).replace(os.sep, "/"))
    return {frozenset(v) for v in by_ino.values() if len(v) > 1}


def rationalize_mode(t: str, mode: int) -> int:
    """mkisofs/xorriso -r: everything readable, write bits cleared, x for all if any x;
    set-id and sticky bits cleared (directories: always 555)."""
    m = mode & 0o777
    m |= 0o444
    m &= ~0o222
    if t == "dir" or m & 0o111:
        m |= 0o111
    return m


def transform_entries(entries: dict, *, rationalize=False, drop_modes=False, drop_mtimes=False,
                      drop_types=(), rename=None) -> dict:
    out = {}
    for p, (t, mode, size, mtime, sha, target) in entries.items():
        if t in drop_types:
            continue
        if rationalize and mode != "-":
            mode = format(rationalize_mode(t, int(mode, 8)), "o")
        if drop_modes and mode != "-":
            mode = "-"
        if drop_mtimes:
            mtime = "-"
        if rename:
            p = rename(p)
        out[p] = (t, mode, size, mtime, sha, target)
    return out


# --------------------------------------------------------------------------------------------
# the hard tree

# fixed mtimes: 2001, 2009, 2023, 2033, after 2038 (32-bit time_t overflow), summer/winter
MTIMES = [1000000000, 1234567890, 1700000001, 2000000003, 2200000005, 1183374007, 1104537609]
DIR_MTIME = 1111111111
ROOT_MTIME = 1222222222

LONG_NAME = ("L" + "".join(chr(ord("a") + i % 26) for i in range(198)) + "Z")  # 200 characters
assert len(LONG_NAME) == 200
UNICODE_NAMES = ["caf\u00e9.txt", "\u65e5\u672c\u8a9e.txt", "emoji_\U0001F600.txt", "\u00c5ngstr\u00f6m dir"]
BIG_DIR_ENTRIES = 150
DEEP_LEVELS = 11


def _content(n: int, seed: int) -> bytes:
    """Deterministic, non-repeating-looking content of n bytes."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


@dataclass
class TreeInfo:
    root: Path
    hardlinks: list          # list of tuples of relative paths that are hard links to each other
    samples: list            # relative paths of a few regular files worth `dimg cat`-ing
    long_name: str
    deep_file: str
    uid_gid: dict            # relpath -> (uid, gid) for entries whose owner was set


def make_hard_tree(root, *, long_names=True, symlinks=True, hardlinks=True, unicode=True,
                   owners=True) -> TreeInfo:
    """Create a tree full of hard cases below root (which must not exist or be empty).

    Options drop features a particular image format cannot represent (e.g. long_names=False
    for Joliet without -joliet-long)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    dirs: list[Path] = []
    links: list[Path] = []
    seed = 0

    def mkfile(rel: str, size: int) -> Path:
        nonlocal seed
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        seed += 1
        p.write_bytes(_content(size, seed))
        files.append(p)
        return p

    def mkdir(rel: str) -> Path:
        p = root / rel
        p.mkdir(parents=True, exist_ok=True)
        dirs.append(p)
        return p

    mkdir("empty_dir")
    mkfile("empty_file", 0)
    mkdir("sizes")
    for n in (0, 1, 2047, 2048, 2049, 4096, 65536 + 3):
        mkfile(f"sizes/size_{n}", n)
    mkdir("compressible")
    p = root / "compressible/text_100k.txt"
    p.write_bytes(b"".join(b"line %06d of a compressible text file\n" % i for i in range(2600))[:100000])
    files.append(p)
    p = root / "compressible/zeros_300k"
    p.write_bytes(b"\0" * 300000 + b"end")
    files.append(p)
    p = root / "compressible/exactly_32k"
    p.write_bytes(b"ab" * 16384)
    files.append(p)
    mkdir("big")
    for i in range(BIG_DIR_ENTRIES):
        mkfile(f"big/entry_{i:03d}.dat", i * 7 % 300)
    chain = "deep"
    mkdir(chain)
    for i in range(1, DEEP_LEVELS + 1):
        chain += f"/d{i:02d}"
        mkdir(chain)
    deep_file = chain + "/leaf.txt"
    mkfile(deep_file, 123)
    mkdir("names")
    mkfile("names/with space.txt", 10)
    mkfile("names/ two  spaces ", 11)
    mkfile("names/UPPER.TXT", 12)
    mkfile("names/lower.txt", 13)
    mkfile("names/many.dots.in.name.tar.gz", 14)
    mkfile("names/no_extension", 15)
    mkfile("names/semi;colon", 16)
    if unicode:
        for n in UNICODE_NAMES[:3]:
            mkfile("names/" + n, 20)
        mkdir("names/" + UNICODE_NAMES[3])
        mkfile("names/" + UNICODE_NAMES[3] + "/inner.txt", 5)
    if long_names:
        mkfile("names/" + LONG_NAME, 30)
        # a 60-character name and directory, below every Joliet limit but above ISO level 1/2
        mkfile("names/" + "m" * 60 + ".txt", 31)
    mkdir("perms")
    for m in (0o600, 0o755, 0o444, 0o640, 0o711):
        p = mkfile(f"perms/file_{m:o}", 40)
        p.chmod(m)
    for m in (0o700, 0o755, 0o750):
        d = mkdir(f"perms/dir_{m:o}")
        (d / "x").write_bytes(b"x")
        files.append(d / "x")
    hl = []
    if hardlinks:
        a = mkfile("links/hard_a", 3000)
        mkdir("links")
        mkdir("links/other")
        os.link(a, root / "links/other/hard_b")
        files.append(root / "links/other/hard_b")
        hl.append(("links/hard_a", "links/other/hard_b"))
    if symlinks:
        mkdir("links")
        targets = {
            "links/rel_file": "hard_a" if hardlinks else "../sizes/size_1",
            "links/rel_up": "../sizes/size_2049",
            "links/rel_dir": "../deep",
            "links/abs": "/etc/passwd",
            "links/abs_dir": "/usr/share",
            "links/dangling": "does/not/exist",
            "links/dot": ".",
            "links/long_target": "x/" * 100 + "end",
        }
        for rel, tgt in targets.items():
            os.symlink(tgt, root / rel)
            links.append(root / rel)
    samples = ["sizes/size_2049", "sizes/size_4096", "big/entry_149.dat", "perms/file_444",
               deep_file, "sizes/size_65539",
               "compressible/text_100k.txt", "compressible/zeros_300k"]
    if unicode:
        samples.append("names/" + UNICODE_NAMES[1])
    if long_names:
        samples.append("names/" + LONG_NAME)

    owners_map = {}
    if owners and os.geteuid() == 0:
        for rel, ug in (("perms/file_640", (1234, 5678)), ("perms/dir_750", (4321, 8765)),
                        ("sizes/size_1", (65534, 65534))):
            os.lchown(root / rel, *ug)
            owners_map[rel] = ug

    # mtimes: files and links first, directories last, deepest first, root at the very end
    for i, p in enumerate(sorted(files)):
        os.utime(p, (MTIMES[i % len(MTIMES)], MTIMES[i % len(MTIMES)]))
    for i, p in enumerate(sorted(links)):
        t = MTIMES[(i + 3) % len(MTIMES)]
        os.utime(p, (t, t), follow_symlinks=False)
    all_dirs = sorted({p for p in dirs} | {p for p in root.rglob("*") if p.is_dir() and not p.is_symlink()},
                      key=lambda p: -len(p.parts))
    for i, d in enumerate(all_dirs):
        t = DIR_MTIME + 86400 * 31 * i + i
        os.utime(d, (t, t))
    os.utime(root, (ROOT_MTIME, ROOT_MTIME))
    return TreeInfo(root=root, hardlinks=hl, samples=samples,
                    long_name=LONG_NAME if long_names else "", deep_file=deep_file,
                    uid_gid=owners_map)


def copy_tree(src, dst):
    """Copy a tree keeping symlinks, modes, mtimes and hard links (cp -a)."""
    run(["cp", "-a", "--", str(src), str(dst)])


# --------------------------------------------------------------------------------------------
# dimg ls --json helpers


def ls_entries_by_path(entries) -> dict:
    out = {}
    for e in entries:
        p = e["path"]
        p = p.lstrip("/")
        out[p] = e
    return out


def ls_paths(entries) -> list[str]:
    return sorted(p for p in ls_entries_by_path(entries) if p not in ("", "."))


# --------------------------------------------------------------------------------------------
# ISO 9660 byte-level helpers (for crafting hostile images and reading expected values)


def both_endian32(v: int) -> bytes:
    return struct.pack("<I", v) + struct.pack(">I", v)


def both_endian16(v: int) -> bytes:
    return struct.pack("<H", v) + struct.pack(">H", v)


@dataclass
class DirRecord:
    offset: int          # absolute byte offset of the record in the image
    length: int
    ea_len: int
    extent: int
    size: int
    flags: int
    name: bytes
    su_offset: int       # absolute offset of the System Use area
    su_len: int

    @property
    def is_dir(self):
        return bool(self.flags & 2)


def parse_dir_record(data: bytes, off: int, base: int = 0) -> DirRecord | None:
    ln = data[off]
    if ln == 0:
        return None
    ea = data[off + 1]
    extent = struct.unpack_from("<I", data, off + 2)[0]
    size = struct.unpack_from("<I", data, off + 10)[0]
    flags = data[off + 25]
    nl = data[off + 32]
    name = bytes(data[off + 33: off + 33 + nl])
    su = off + 33 + nl + ((nl + 1) % 2)
    return DirRecord(base + off, ln, ea, extent, size, flags, name, base + su, off + ln - su)


class IsoImage:
    """Minimal, trusting ISO 9660 reader over a bytearray, for test setup only."""

    def __init__(self, data: bytearray):
        self.data = data

    @classmethod
    def load(cls, path):
        return cls(bytearray(Path(path).read_bytes()))

    def save(self, path):
        Path(path).write_bytes(bytes(self.data))

    def descriptors(self):
        lba = 16
        while True:
            off = lba * SECTOR
            d = self.data[off: off + SECTOR]
            if len(d) < 7 or d[1:6] != b"CD001":
                return
            yield lba, d[0], off
            if d[0] == 255:
                return
            lba += 1

    def pvd_offset(self) -> int:
        for lba, t, off in self.descriptors():
            if t == 1:
                return off
        raise ValueError("no PVD")

    def svd_offsets(self):
        return [off for lba, t, off in self.descriptors() if t == 2]

    def root_record(self, vd_off=None) -> DirRecord:
        if vd_off is None:
            vd_off = self.pvd_offset()
        return parse_dir_record(self.data, vd_off + 156)

    def volume_id(self, vd_off=None) -> bytes:
        if vd_off is None:
            vd_off = self.pvd_offset()
        return bytes(self.data[vd_off + 40: vd_off + 72])

    def volume_blocks(self) -> int:
        return struct.unpack_from("<I", self.data, self.pvd_offset() + 80)[0]

    def records(self, dirrec: DirRecord) -> list[DirRecord]:
        """All records of a directory (including . and ..), following sector padding."""
        out = []
        start = dirrec.extent * SECTOR
        end = start + dirrec.size
        off = start
        while off < end and off < len(self.data):
            ln = self.data[off]
            if ln == 0:
                off = (off // SECTOR + 1) * SECTOR
                continue
            out.append(parse_dir_record(self.data, off))
            off += ln
        return out

    def children(self, dirrec: DirRecord) -> list[DirRecord]:
        return [r for r in self.records(dirrec) if r.name not in (b"\x00", b"\x01")]

    def lookup(self, iso_path: str, vd_off=None) -> DirRecord:
        """Look up a path by ISO 9660 identifier (case-insensitive, ';1' and trailing '.'
        ignored; for a Joliet SVD pass its offset and plain names)."""
        joliet = vd_off is not None and vd_off != self.pvd_offset()
        cur = self.root_record(vd_off)
        for comp in [c for c in iso_path.split("/") if c]:
            for r in self.children(cur):
                n = r.name.decode("utf-16-be") if joliet else r.name.decode("latin-1")
                n = n.split(";")[0].rstrip(".") if not r.is_dir else n
                if n.upper() == comp.upper():
                    cur = r
                    break
            else:
                raise KeyError(f"{comp!r} not found in {iso_path!r}")
        return cur

    def susp_entries(self, rec: DirRecord):
        """(absolute offset, signature, length) of SUSP entries in the record's System Use
        area (not following CE)."""
        off, end = rec.su_offset, rec.offset + rec.length
        out = []
        while off + 4 <= end:
            sig = bytes(self.data[off:off + 2])
            ln = self.data[off + 2]
            if ln < 4:
                break
            out.append((off, sig, ln))
            off += ln
        return out

    def rr_name(self, rec: DirRecord) -> str | None:
        name = b""
        for off, sig, ln in self.susp_entries(rec):
            if sig == b"NM":
                name += bytes(self.data[off + 5: off + ln])
        return name.decode("utf-8", "replace") if name else None

    def find_rr(self, parent: DirRecord, rr_name: str) -> DirRecord:
        for r in self.children(parent):
            if self.rr_name(r) == rr_name:
                return r
        raise KeyError(rr_name)


def python_for_debian_modules() -> str:
    """The interpreter that has Debian's python3-* packages (pycdlib)."""
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


# --------------------------------------------------------------------------------------------
# image makers


def make_genisoimage(src, out, args, *, tz="UTC", volid="DIMGTEST"):
    """genisoimage from a directory. tz: genisoimage 1.1.11 writes a garbage GMT offset for
    years >= 2030 in any zone (0xA0 in UTC: outside -48..52, so readers ignore it, as the Linux
    kernel and libarchive do); in other zones the recorded local time is then off by the zone
    offset, so the matrix builds with genisoimage run in UTC."""
    require_tool("genisoimage")
    run(["genisoimage", "-quiet", "-V", volid, *args, "-o", out, src],
        env={"TZ": tz, "LC_ALL": "C.UTF-8"}, timeout=120)


def make_xorriso_mkisofs(src, out, args, *, tz=MAKER_TZ, volid="DIMGTEST"):
    require_tool("xorriso")
    run(["xorriso", "-as", "mkisofs", "-quiet", "-V", volid, *args, "-o", out, src],
        env={"TZ": tz, "LC_ALL": "C.UTF-8"}, timeout=300)


def make_xorriso_native(src, out, cmds, *, tz=MAKER_TZ, volid="DIMGTEST", dev=False):
    """xorriso native mode: `xorriso <cmds before> -outdev OUT -volid V -map SRC / <cmds> -commit`.
    cmds is a dict with 'pre' (settings that must precede the image, e.g. -rockridge off) and
    'post' (commands after -map)."""
    require_tool("xorriso")
    pre = cmds.get("pre", [])
    post = cmds.get("post", [])
    target = ["-dev", out] if dev else ["-outdev", out]
    run(["xorriso", "-report_about", "SORRY", *pre, *target, "-volid", volid,
         "-map", src, "/", *post, "-commit"],
        env={"TZ": tz, "LC_ALL": "C.UTF-8"}, timeout=300)


def make_zisofs_tree(src, dst):
    """mkzftree SRC DST, then copy every mtime (mkzftree does not keep symlink times)."""
    require_tool("mkzftree")
    run(["mkzftree", src, dst])
    src, dst = Path(src), Path(dst)
    entries = sorted(src.rglob("*"), key=lambda p: -len(p.parts))
    for p in entries:
        q = dst / p.relative_to(src)
        st = os.lstat(p)
        os.utime(q, ns=(st.st_mtime_ns, st.st_mtime_ns), follow_symlinks=False)
    st = os.lstat(src)
    os.utime(dst, ns=(st.st_mtime_ns, st.st_mtime_ns))


# --------------------------------------------------------------------------------------------
# oracle extractions


def bsdtar_extract(image, dest):
    """Extract with bsdtar (libarchive). Returns the CompletedProcess (not checked)."""
    require_tool("bsdtar")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    return run(["bsdtar", "-x", "-p", "-f", image, "-C", dest], check=False, timeout=300)


def xorriso_extract(image, dest, *, sbsector=None):
    """Extract with xorriso -osirrox (does not set symlink mtimes, does not restore hard
    links). sbsector selects an older session."""
    require_tool("xorriso")
    load = ["-load", "sbsector", str(sbsector)] if sbsector is not None else []
    return run(["xorriso", "-report_about", "SORRY", "-osirrox", "on:auto_chmod_on", *load,
                "-indev", image, "-extract", "/", dest], check=False, timeout=300)


def xorriso_toc_sessions(image) -> list[int]:
    """Session start LBAs as xorriso -toc reports them."""
    require_tool("xorriso")
    cp = run(["xorriso", "-indev", image, "-toc"], timeout=60)
    out = cp.stdout.decode() + cp.stderr.decode()
    starts = []
    for line in out.splitlines():
        if line.startswith("ISO session"):
            fields = [f.strip() for f in line.split(":", 1)[1].split(",")]
            starts.append(int(fields[1]))
    return starts


def xorriso_report_lba(image) -> dict:
    """{path: [(lba, blocks, filesize), ...]} from xorriso -find / -exec report_lba."""
    require_tool("xorriso")
    cp = run(["xorriso", "-indev", image, "-find", "/", "-exec", "report_lba"], timeout=60)
    out = {}
    for line in cp.stdout.decode("utf-8", "replace").splitlines():
        if not line.startswith("File data lba:"):
            continue
        rest = line.split(":", 1)[1]
        parts = rest.split(",", 4)
        xt, lba, blocks, size = (int(p) for p in parts[:4])
        path = parts[4].strip()
        assert path[0] == "'" and path[-1] == "'", line
        out.setdefault(path[1:-1].lstrip("/"), []).append((lba, blocks, size))
    return out


def xorriso_el_torito(image) -> list[dict]:
    """Boot entries from xorriso -report_el_torito plain."""
    require_tool("xorriso")
    cp = run(["xorriso", "-indev", image, "-report_el_torito", "plain"], timeout=60)
    entries = {}
    for line in cp.stdout.decode().splitlines():
        if line.startswith("El Torito boot img :"):
            f = line.split(":", 1)[1].split()
            # N Pltf B Emul Ld_seg Hdpt Ldsiz LBA
            entries[int(f[0])] = {"platform": f[1], "bootable": f[2] == "y", "emulation": f[3],
                                  "load_size": int(f[6]), "lba": int(f[7])}
        elif line.startswith("El Torito img path :"):
            f = line.split(":", 1)[1].split(None, 1)
            entries[int(f[0])]["path"] = f[1].strip()
    return [entries[k] for k in sorted(entries)]


def pycdlib_paths(image, *, joliet=False) -> list[str]:
    """All paths of the plain ISO 9660 tree (or the Joliet tree) according to pycdlib."""
    pycdlib = require_python_module("pycdlib")
    iso = pycdlib.PyCdlib()
    iso.open(str(image))
    try:
        out = []
        kw = {"joliet_path": "/"} if joliet else {"iso_path": "/"}
        for dirname, dirlist, filelist in iso.walk(**kw):
            for n in dirlist + filelist:
                out.append((dirname.rstrip("/") + "/" + n).lstrip("/"))
        return sorted(out)
    finally:
        iso.close()


def normalize_iso_name(path: str) -> str:
    """Plain ISO 9660 names as different readers show them: drop ';version', the trailing '.'
    of an extensionless name, compare case-insensitively."""
    comps = []
    for c in path.split("/"):
        if ";" in c:
            c = c.rsplit(";", 1)[0]
        if c.endswith(".") and c not in (".", ".."):
            c = c[:-1]
        comps.append(c.upper())
    return "/".join(comps)


def parse_utc(s: str) -> int:
    import calendar
    import time as _time
    assert isinstance(s, str) and s.endswith("Z") and "T" in s, f"not a UTC ISO-8601 time: {s!r}"
    return calendar.timegm(_time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def ls_to_entries(ls_json, prefix="") -> dict:
    """dimg ls --json output -> manifest-like entries (no sha256: '?')."""
    out = {}
    for e in ls_json:
        p = e["path"].strip("/")
        if prefix:
            p = prefix.strip("/") + "/" + p
        t = e["type"]
        mode = "-" if t == "symlink" else format(e["mode"] & 0o7777, "o")
        size = str(e["size"]) if t == "file" else "-"
        mtime = str(parse_utc(e["mtime"]))
        target = e["target"] if t == "symlink" else "-"
        out[p] = (t, mode, size, mtime, "?", target if target is not None else "<null>")
    return out


def _record_mtime(rec) -> int:
    """UTC seconds from a pycdlib directory record date (7-byte form)."""
    import calendar
    d = rec.date
    t = calendar.timegm((1900 + d.years_since_1900, d.month, d.day_of_month, d.hour, d.minute,
                         d.second, 0, 0, 0))
    off = d.gmtoffset
    if off > 127:
        off -= 256
    if -48 <= off <= 52:       # ECMA-119 8.4.26.1; out of range offsets are ignored
        t -= off * 15 * 60
    return t


def pycdlib_manifest(image, *, joliet=False) -> dict:
    """Manifest entries of the plain ISO 9660 tree (or the Joliet tree) read by pycdlib:
    names as recorded (plain: with ';1'), no modes, mtime from the directory record."""
    pycdlib = require_python_module("pycdlib")
    iso = pycdlib.PyCdlib()
    iso.open(str(image))
    key = "joliet_path" if joliet else "iso_path"
    raw = None if joliet else IsoImage.load(image)
    try:
        out = {}
        for dirname, dirlist, filelist in iso.walk(**{key: "/"}):
            for n in dirlist:
                p = dirname.rstrip("/") + "/" + n
                rec = iso.get_record(**{key: p})
                rawrec = raw.lookup(p) if raw is not None else None
                if rawrec is not None and not rawrec.is_dir:
                    # a Rock Ridge CL placeholder: pycdlib follows CL, but in the plain tree
                    # the record is an empty file
                    out[p.lstrip("/")] = ("file", "-", str(rawrec.size),
                                          str(_record_mtime(rec)),
                                          hashlib.sha256(b"").hexdigest(), "-")
                    continue
                out[p.lstrip("/")] = ("dir", "-", "-", str(_record_mtime(rec)), "-", "-")
            for n in filelist:
                p = dirname.rstrip("/") + "/" + n
                rec = iso.get_record(**{key: p})
                h = hashlib.sha256()
                with iso.open_file_from_iso(**{key: p}) as f:
                    while True:
                        b = f.read(1 << 20)
                        if not b:
                            break
                        h.update(b)
                size = rec.get_data_length()
                out[p.lstrip("/")] = ("file", "-", str(size), str(_record_mtime(rec)),
                                      h.hexdigest(), "-")
        return out
    finally:
        iso.close()


def normalize_plain_entries(entries: dict) -> dict:
    return {normalize_iso_name(p): v for p, v in entries.items()}
