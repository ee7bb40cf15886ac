"""`dimg mount` end to end: the FUSE mount of an image compared with `dimg extract` of the same
image, concurrent readers, tar of the mount, hostile images, the read-only and busy-mount
contract, El Torito images under /.boot, extended attributes and statfs.

Every mount is undone in a finally (`dimg umount`, then `fusermount3 -u -z` as a last resort),
and the dimg process serving it must be gone afterwards. Reads that could hang (hostile
images) are done in a child process with a timeout, never in the pytest process.

Without /dev/fuse or fusermount3 the tests skip, or fail when CI is set (like the oracle tools).
"""

from __future__ import annotations

import errno
import hashlib
import json
import lzma
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dimg_testlib as tl
import test_hostile as th  # its image-patching helpers and its `base` / `box` fixtures
from iso_matrix import JOLIET, RR, SPEC_BY_ID, VIEW_CASES, VIEW_OPT, _view_case_id

MOUNT_TIMEOUT = 20      # seconds for `dimg mount` to return / a foreground mount to appear
WALK_TIMEOUT = 60       # seconds for a child process to walk and read a whole mount
EXIT_TIMEOUT = 10       # seconds for the serving process to go away after the unmount
CORPUS = Path(os.environ.get("DIMG_CORPUS", tl.REPO.parent / "shared" / "corpus"))


# --------------------------------------------------------------------------------------------
# FUSE availability


@pytest.fixture(scope="session")
def fuse():
    """fusermount3 and a usable /dev/fuse: skip without them (fail in CI, like require_tool)."""
    tool = tl.require_tool("fusermount3")
    problem = None
    if not os.path.exists("/dev/fuse"):
        problem = "/dev/fuse does not exist"
    elif not os.access("/dev/fuse", os.R_OK | os.W_OK):
        problem = "/dev/fuse is not readable and writable"
    if problem:
        msg = f"FUSE is not usable: {problem} (apt-get install fuse3; load the fuse module)"
        if tl.in_ci():
            pytest.fail(msg + " (CI is set: mount tests must not be skipped)", pytrace=False)
        pytest.skip(msg)
    return tool


# --------------------------------------------------------------------------------------------
# mount helpers


def _unescape_mountinfo(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 3 < len(s) and s[i + 1:i + 4].isdigit():
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def mount_entries(real_mp: str) -> list[list[str]]:
    """The /proc/self/mountinfo lines (split) whose mount point is real_mp."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 4 and _unescape_mountinfo(fields[4]) == real_mp:
                out.append(fields)
    return out


def is_mounted(real_mp: str) -> bool:
    return bool(mount_entries(real_mp))


def dimg_processes(mp: str) -> list[tuple[int, str]]:
    """(pid, state) of every dimg process whose command line is a mount on mp."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        # (a zombie has an empty command line: it has exited, and is not matched)
        if argv and os.path.basename(argv[0]) == "dimg" and "mount" in argv and argv[-1] == mp:
            out.append((int(d), st[st.rfind(")") + 2]))
    return out


def _alive(pid: int) -> bool:
    """True while pid exists and is not a zombie (a zombie has released everything; reaping
    it is its parent's business, init's for a daemon)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rfind(")") + 2] != "Z"


class FuseMount:
    """One `dimg mount` of an image. foreground=True runs `dimg mount -f` as a child of the
    test (stderr to a log file); otherwise `dimg mount` daemonizes and the daemon is found
    in /proc. Use as a context manager; stop() unmounts and returns the problems seen."""

    def __init__(self, dimg: tl.Dimg, image, mp, *opts, foreground=False, log=None):
        self.dimg = dimg
        self.image = Path(image)
        self.mp = Path(mp)
        self.opts = [str(o) for o in opts]
        self.foreground = foreground
        self.log_path = Path(log) if log else self.mp.parent / (self.mp.name + ".log")
        self.proc: subprocess.Popen | None = None
        self.result: tl.Result | None = None   # `dimg mount` result (daemon mode)
        self.pids: list[int] = []              # the daemon(s) serving the mount
        self.refused = False
        self.returncode = None
        self.err = ""
        self.real_mp = os.path.realpath(self.mp)
        self.started = False
        self.stopped = False

    # -- start -------------------------------------------------------------------------
    def start(self) -> "FuseMount":
        if self.started:
            return self
        self.started = True
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "FuseMount":
        self.mp.mkdir(parents=True, exist_ok=True)
        self.real_mp = os.path.realpath(self.mp)
        assert not is_mounted(self.real_mp), f"{self.mp} is already a mount point"
        cmd = [str(self.dimg.path), "mount"] + (["-f"] if self.foreground else []) + \
            self.opts + [str(self.image), str(self.mp)]
        env = dict(os.environ, TZ=tl.READER_TZ, LC_ALL="C.UTF-8")
        if self.foreground:
            self._logf = open(self.log_path, "wb")
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._logf,
                                         stderr=self._logf, env=env)
            deadline = time.monotonic() + MOUNT_TIMEOUT
            while not is_mounted(self.real_mp):
                rc = self.proc.poll()
                if rc is not None:
                    self.refused = True
                    self.returncode = rc
                    self.err = self.log()
                    return self
                if time.monotonic() > deadline:
                    raise AssertionError(f"mount did not appear within {MOUNT_TIMEOUT} s: "
                                         f"{tl.fmt_cmd(cmd)}\n{self.log()}")
                time.sleep(0.02)
            self.pids = [self.proc.pid]
            self.returncode = None
        else:
            try:
                cp = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env, timeout=MOUNT_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"dimg mount did not return within {MOUNT_TIMEOUT} s: "
                                     f"{tl.fmt_cmd(cmd)}")
            self.result = tl.Result(cmd, cp.returncode, cp.stdout, cp.stderr)
            self.returncode = cp.returncode
            self.err = self.result.err
            if cp.returncode != 0:
                self.refused = True
                return self
            # the contract: the mount is ready when `dimg mount` returns
            assert is_mounted(self.real_mp), \
                "dimg mount returned 0 before the mount was ready:\n" + self.result.describe()
            self.pids = [p for p, s in dimg_processes(str(self.mp)) if s != "Z"]
        for m in tl.SANITIZER_MARKERS:
            assert m.decode() not in self.err, self.err
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return any(_alive(p) for p in self.pids)

    # -- stop --------------------------------------------------------------------------
    def umount(self) -> tl.Result:
        return self.dimg.run("umount", self.mp, timeout=30)

    def stop(self) -> list[str]:
        """Unmount (dimg umount; fusermount3 -u -z as a last resort), wait for the serving
        process to exit, end it by pid if it does not. Returns the problems seen."""
        if self.stopped:
            return []
        self.stopped = True
        problems = []
        if self.proc is None and not self.pids:
            # e.g. `dimg mount` timed out: whatever it left serving this mount point
            self.pids = [p for p, st in dimg_processes(str(self.mp)) if st != "Z"]
        if is_mounted(self.real_mp):
            r = self.umount()
            if r.returncode != 0 or is_mounted(self.real_mp):
                problems.append("dimg umount failed:\n" + r.describe())
                subprocess.run(["fusermount3", "-u", "-z", str(self.mp)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
                if is_mounted(self.real_mp):
                    problems.append("still mounted after fusermount3 -u -z")
        deadline = time.monotonic() + EXIT_TIMEOUT
        if self.proc is not None:
            try:
                self.returncode = self.proc.wait(timeout=EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append(f"dimg mount -f (pid {self.proc.pid}) still running "
                                f"{EXIT_TIMEOUT} s after the unmount")
                self.proc.kill()
                self.returncode = self.proc.wait(timeout=10)
            self._logf.close()
            if not self.refused and self.returncode != 0 and not problems:
                problems.append(f"dimg mount -f exited {self.returncode} after the unmount:\n"
                                + self.log())
        else:
            while any(_alive(p) for p in self.pids) and time.monotonic() < deadline:
                time.sleep(0.05)
            left = [p for p in self.pids if _alive(p)]
            if left:
                problems.append(f"dimg daemon(s) {left} still running {EXIT_TIMEOUT} s after "
                                "the unmount")
                for p in left:        # the daemons this test started, by pid
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
        log = self.log() if self.foreground else ""
        for m in tl.SANITIZER_MARKERS:
            if m.decode() in log:
                problems.append("sanitizer report in the mount log:\n" + log[-4000:])
        return problems

    def __enter__(self):
        return self.start()

    def __exit__(self, et, ev, tb):
        problems = self.stop()
        if problems and et is None:
            raise AssertionError("; ".join(problems))
        return False


def mount_ok(dimg, image, mp, *opts, **kw) -> FuseMount:
    m = FuseMount(dimg, image, mp, *opts, **kw)
    m.start()
    if m.refused:
        raise AssertionError(f"dimg mount {image} failed (exit {m.returncode}):\n{m.err}")
    return m


# --------------------------------------------------------------------------------------------
# child-process readers (a hung FUSE request must not hang pytest)

WALKER = r"""
import errno, hashlib, json, os, stat, sys
root, limit = sys.argv[1], int(sys.argv[2])
out = {"entries": 0, "files": 0, "bytes": 0, "errors": [], "eio_reads": 0, "bad_names": []}
def err(what, path, e):
    out["errors"].append([what, os.path.relpath(path, root), e.errno, e.strerror])
for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: err("walk", e.filename or root, e)):
    for n in dirnames + filenames:
        if n in (".", "..", "") or "/" in n or "\0" in n:
            out["bad_names"].append(os.path.join(dirpath, n))
        p = os.path.join(dirpath, n)
        out["entries"] += 1
        try:
            st = os.lstat(p)
        except OSError as e:
            err("lstat", p, e); continue
        try:
            for x in os.listxattr(p, follow_symlinks=False):
                os.getxattr(p, x, follow_symlinks=False)
        except OSError as e:
            if e.errno not in (errno.ENODATA, errno.ENOTSUP):
                err("xattr", p, e)
        if stat.S_ISLNK(st.st_mode):
            try:
                os.readlink(p)
            except OSError as e:
                err("readlink", p, e)
        elif stat.S_ISREG(st.st_mode):
            out["files"] += 1
            try:
                with open(p, "rb", buffering=0) as f:
                    got = 0
                    while got < limit:
                        b = f.read(1 << 20)
                        if not b:
                            break
                        got += len(b)
                    out["bytes"] += got
            except OSError as e:
                err("read", p, e)
                if e.errno == errno.EIO:
                    out["eio_reads"] += 1
print(json.dumps(out))
"""

READER = r"""
import hashlib, mmap, os, random, sys
path, mode = sys.argv[1], sys.argv[2]
h = hashlib.sha256()
size = os.stat(path).st_size
fd = os.open(path, os.O_RDONLY)
if mode.startswith("seq"):
    chunk = int(mode[3:])
    while True:
        b = os.read(fd, chunk)
        if not b:
            break
        h.update(b)
elif mode == "shuffled":
    # 64 KiB pieces at offsets in a random order (pread), hashed in file order
    chunk = 65536 + 2048 + 7
    offs = list(range(0, size, chunk))
    random.Random(size).shuffle(offs)
    parts = {}
    for o in offs:
        parts[o] = os.pread(fd, chunk, o)
    for o in sorted(parts):
        h.update(parts[o])
elif mode == "backwards":
    chunk = 1 << 20
    parts = []
    o = (size - 1) // chunk * chunk if size else 0
    while o >= 0 and size:
        parts.append(os.pread(fd, chunk, o))
        o -= chunk
    for b in reversed(parts):
        h.update(b)
elif mode == "mmap":
    if size:
        with mmap.mmap(fd, size, prot=mmap.PROT_READ) as m:
            h.update(m[:])
os.close(fd)
print(h.hexdigest())
"""


def walk_in_child(root, *, limit=64 << 20, timeout=WALK_TIMEOUT) -> dict:
    """Walk and read everything below root in a child process; fail on a timeout."""
    try:
        cp = subprocess.run([sys.executable, "-c", WALKER, str(root), str(limit)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"walking and reading {root} did not finish within {timeout} s")
    assert cp.returncode == 0, f"walker failed: {cp.stderr.decode(errors='replace')[-3000:]}"
    return json.loads(cp.stdout)


# --------------------------------------------------------------------------------------------
# comparisons


def walk_stats(root) -> dict:
    """{relpath: lstat} for everything below root."""
    root = os.fspath(root)
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            out[os.path.relpath(p, root).replace(os.sep, "/")] = os.lstat(p)
    return out


def inode_groups(stats: dict) -> set[frozenset]:
    """Paths grouped by inode number (groups of one included): equal groups mean equal hard
    links and no two distinct entries sharing an inode number."""
    by = {}
    for p, st in stats.items():
        by.setdefault((st.st_dev, st.st_ino), set()).add(p)
    return {frozenset(v) for v in by.values()}


def check_like_extract(mounted_root, extracted_root, what):
    """Manifest, owners, link counts of non-directories and hard links (inode numbers) of
    the mount equal those of the extracted tree."""
    want = tl.manifest(extracted_root)
    got = tl.manifest(mounted_root)
    tl.assert_manifest_equal(want, got, f"mount vs extract of {what}")

    ms, es = walk_stats(mounted_root), walk_stats(extracted_root)
    assert ms.keys() == es.keys()
    owners, links = [], []
    for p in sorted(ms):
        m, e = ms[p], es[p]
        if (m.st_uid, m.st_gid) != (e.st_uid, e.st_gid):
            owners.append(f"{p}: owner {m.st_uid}:{m.st_gid}, extract {e.st_uid}:{e.st_gid}")
        if not stat.S_ISDIR(e.st_mode) and m.st_nlink != e.st_nlink:
            links.append(f"{p}: nlink {m.st_nlink}, extract {e.st_nlink}")
    gm, ge = inode_groups(ms), inode_groups(es)
    problems = []
    if owners:
        problems.append(f"{len(owners)} owner difference(s):\n  " + "\n  ".join(owners[:20]))
    if links:
        problems.append(f"{len(links)} wrong link count(s):\n  " + "\n  ".join(links[:20]))
    if gm != ge:
        problems.append("inode numbers shared differently than in the extracted tree:\n"
                        f"  only in the mount: {sorted(map(sorted, gm - ge))[:10]}\n"
                        f"  only in extract:   {sorted(map(sorted, ge - gm))[:10]}")
    assert not problems, f"mount of {what} vs its extraction:\n" + "\n".join(problems)


def check_dir_nlinks(mounted_root, extracted_root, what):
    """A directory's link count is 2 + its subdirectories (as on the extracted tree), or 1:
    the Linux convention for "not counted" (the kernel's isofs uses it where the image records
    no count; find and fts then do not rely on it). Any other value is wrong, and a count that
    is too low makes tools that trust it (find's leaf optimization) skip subdirectories."""
    ms, es = walk_stats(mounted_root), walk_stats(extracted_root)
    ms[""], es[""] = os.lstat(mounted_root), os.lstat(extracted_root)
    bad = []
    for p in sorted(es):
        if not stat.S_ISDIR(es[p].st_mode):
            continue
        subdirs = sum(1 for q, s in es.items() if q and stat.S_ISDIR(s.st_mode)
                      and (q.rsplit("/", 1)[0] if "/" in q else "") == p)
        assert es[p].st_nlink == 2 + subdirs, f"oracle check: {p!r} nlink {es[p].st_nlink}"
        if ms[p].st_nlink not in (1, 2 + subdirs):
            bad.append(f"{p or '(root)'}/: nlink {ms[p].st_nlink} with {subdirs} "
                       f"subdirectories (want {2 + subdirs}, or 1)")
    assert not bad, f"mount of {what}: {len(bad)} wrong directory link count(s):\n  " + \
        "\n  ".join(bad[:20])


# --------------------------------------------------------------------------------------------
# 1. every image of the matrix: mount == extract


@pytest.mark.parametrize("case", VIEW_CASES, ids=_view_case_id)
def test_mount_matches_extract(dimg, matrix, fuse, tmp_path, case):
    spec_id, view = case
    spec = SPEC_BY_ID[spec_id]
    image = matrix.image(spec)
    extracted = matrix.dimg_extract(dimg, spec, view)
    opts = [] if view == spec.default_view else ["--view", VIEW_OPT[view]]
    with mount_ok(dimg, image, tmp_path / "mnt", *opts) as m:
        check_like_extract(m.mp, extracted, f"{spec_id} view {view}")
        got_view = os.getxattr(m.mp, "user.dimg.view")
        assert got_view.decode() == view, got_view


@pytest.mark.parametrize("case", VIEW_CASES, ids=_view_case_id)
def test_mount_directory_link_counts(dimg, matrix, fuse, tmp_path, case):
    spec_id, view = case
    spec = SPEC_BY_ID[spec_id]
    extracted = matrix.dimg_extract(dimg, spec, view)
    opts = [] if view == spec.default_view else ["--view", VIEW_OPT[view]]
    with mount_ok(dimg, matrix.image(spec), tmp_path / "mnt", *opts) as m:
        check_dir_nlinks(m.mp, extracted, f"{spec_id} view {view}")


# --------------------------------------------------------------------------------------------
# 2. concurrent readers


def _content(rng: random.Random, n: int) -> bytes:
    """Half random, half repetitive (so zisofs does compress it), in 64 KiB stretches."""
    out = bytearray()
    i = 0
    while len(out) < n:
        if i % 2:
            out += rng.randbytes(65536)
        else:
            out += (b"concurrent reader test line %08d\n" % i) * 1900
        i += 1
    return bytes(out[:n])


@pytest.fixture(scope="module")
def concurrency_images(tmp_path_factory):
    base = tmp_path_factory.mktemp("concurrency")
    src = base / "src"
    src.mkdir()
    rng = random.Random(2024)
    sizes = {"large.bin": 48 * 1024 * 1024 + 1234}
    for i in range(6):
        sizes[f"f{i}.bin"] = (i + 1) * 1536 * 1024 + i * 517
    digests = {}
    for name, n in sizes.items():
        data = _content(rng, n)
        (src / name).write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()
    plain = base / "plain.iso"
    tl.make_xorriso_mkisofs(src, plain, ["-R", "-J"])
    zisofs = base / "zisofs.iso"
    tl.make_xorriso_native(src, zisofs, {"post": ["-set_filter_r", "--zisofs", "/", "--"]})
    return {"plain": plain, "zisofs": zisofs, "digests": digests}


@pytest.mark.parametrize("kind", ["plain", "zisofs"])
def test_concurrent_readers(dimg, fuse, concurrency_images, tmp_path, kind):
    """Eight reader processes at once: four on the same large file (sequential, shuffled
    preads, backwards, mmap), four on different files; every digest equals the source's."""
    image = concurrency_images[kind]
    digests = concurrency_images["digests"]
    jobs = [("large.bin", "seq1048576"), ("large.bin", "shuffled"), ("large.bin", "backwards"),
            ("large.bin", "mmap"), ("f0.bin", "seq4096"), ("f2.bin", "shuffled"),
            ("f4.bin", "seq131072"), ("f5.bin", "mmap")]
    with mount_ok(dimg, image, tmp_path / "mnt", foreground=True) as m:
        if kind == "zisofs":
            assert os.getxattr(m.mp / "large.bin", "user.dimg.flags") == b"zisofs", \
                "test setup: large.bin should be zisofs-compressed"
        for rnd in range(2):   # the second round reads from the kernel's page cache too
            procs = [subprocess.Popen([sys.executable, "-c", READER, str(m.mp / f), mode],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                     for f, mode in jobs]
            bad = []
            deadline = time.monotonic() + WALK_TIMEOUT
            for (f, mode), p in zip(jobs, procs):
                try:
                    out, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    for q in procs:
                        q.kill()
                        q.wait()
                    raise AssertionError(f"readers did not finish within {WALK_TIMEOUT} s")
                if p.returncode != 0:
                    bad.append(f"{f} ({mode}): reader failed: {err.decode()[-500:]}")
                elif out.decode().strip() != digests[f]:
                    bad.append(f"{f} ({mode}): wrong bytes")
            assert not bad, f"round {rnd}: " + "; ".join(bad)
        assert m.alive()
        assert "dimg:" not in m.log(), m.log()


# --------------------------------------------------------------------------------------------
# 3. tar of the mount == tar of the extracted tree


def _tar(root, out):
    names = sorted(os.listdir(root))
    tl.run(["tar", "-c", "-f", out, "--format=gnu", "--sort=name", "--numeric-owner",
            "-C", root, "--"] + ["./" + n for n in names], timeout=300)
    return Path(out).read_bytes()


@pytest.mark.parametrize("case", [("x-hardlinks", RR), ("g-RJ", RR), ("g-RJ", JOLIET),
                                  ("g-zf", RR), ("x-RJ-utf16", RR)], ids=_view_case_id)
def test_tar_of_mount_equals_tar_of_extract(dimg, matrix, fuse, tmp_path, case):
    tl.require_tool("tar")
    spec_id, view = case
    spec = SPEC_BY_ID[spec_id]
    image = matrix.image(spec)
    extracted = matrix.dimg_extract(dimg, spec, view)
    opts = [] if view == spec.default_view else ["--view", VIEW_OPT[view]]
    with mount_ok(dimg, image, tmp_path / "mnt", *opts) as m:
        got = _tar(m.mp, tmp_path / "mount.tar")
    want = _tar(extracted, tmp_path / "extract.tar")
    if got != want:
        lm = tl.run(["tar", "-tvf", tmp_path / "mount.tar", "--numeric-owner"],
                    env={"TZ": "UTC"}).stdout.decode().splitlines()
        le = tl.run(["tar", "-tvf", tmp_path / "extract.tar", "--numeric-owner"],
                    env={"TZ": "UTC"}).stdout.decode().splitlines()
        import difflib
        diff = "\n".join(list(difflib.unified_diff(le, lm, "extract.tar", "mount.tar",
                                                   lineterm=""))[:60])
        raise AssertionError(f"tar of the mount differs from tar of the extracted tree "
                             f"({len(got)} vs {len(want)} bytes):\n{diff}")


# --------------------------------------------------------------------------------------------
# 4. hostile images: the daemon survives, the mount unmounts cleanly

base = th.base  # the unpatched hostile image (fixture), reused as it is
box = th.box


def _dir_loop(iso, b):
    root = iso.root_record()
    for r in iso.children(root):
        if r.is_dir and iso.rr_name(r) == "dd":
            iso.data[r.offset + 2: r.offset + 10] = tl.both_endian32(root.extent)
            iso.data[r.offset + 10: r.offset + 18] = tl.both_endian32(root.size)


def _dir_loop_deeper(iso, b):
    root = iso.root_record()
    inner = iso.find_rr(iso.find_rr(root, "dd"), "inner")
    iso.data[inner.offset + 2: inner.offset + 10] = tl.both_endian32(root.extent)
    iso.data[inner.offset + 10: inner.offset + 18] = tl.both_endian32(root.size)
    iso.data[inner.offset + 25] |= 2


def _joliet_loop(iso, b):
    svd = iso.svd_offsets()[0]
    dd = iso.lookup("dd", svd)
    iso.data[dd.offset + 2: dd.offset + 10] = tl.both_endian32(iso.root_record(svd).extent)


def _ce_self(iso, b):
    rec = th._rec(iso, tl.LONG_NAME)
    off, ln = [(o, ln) for o, s, ln in iso.susp_entries(rec) if s == b"CE"][0]
    iso.data[off + 4: off + 12] = tl.both_endian32(off // tl.SECTOR)
    iso.data[off + 12: off + 20] = tl.both_endian32(off % tl.SECTOR)
    iso.data[off + 20: off + 28] = tl.both_endian32(ln)


def _ce(field, value):
    def patch(iso, b):
        rec = th._rec(iso, tl.LONG_NAME)
        off = [o for o, s, ln in iso.susp_entries(rec) if s == b"CE"][0]
        iso.data[off + field: off + field + 8] = tl.both_endian32(value)
    return patch


def _record_field(name, field, value):
    def patch(iso, b):
        rec = th._rec(iso, name)
        iso.data[rec.offset + field: rec.offset + field + 8] = tl.both_endian32(value)
    return patch


def _pvd_field(off, data):
    def patch(iso, b):
        p = iso.pvd_offset()
        iso.data[p + off: p + off + len(data)] = data
    return patch


def _short_record(n):
    def patch(iso, b):
        iso.data[th._rec(iso, "bb").offset] = n
    return patch


def _nm(name, new):
    return lambda iso, b: th._set_nm(iso, th._rec(iso, name), new(b) if callable(new) else new)


def _nm_absolute(iso, b):
    target = b["abs_target"].encode()
    th._set_nm(iso, th._rec(iso, "q" * len(target)), target)


def _nm_flag(name, flag):
    def patch(iso, b):
        off, ln = th._nm_offset(iso, th._rec(iso, name))
        iso.data[off + 4] = flag
    return patch


def _other_view_name(view, target, new):
    def patch(iso, b):
        if view == "joliet":
            rec = iso.lookup(target, iso.svd_offsets()[0])
        else:
            rec = [r for r in iso.children(iso.root_record())
                   if r.name.split(b";")[0].rstrip(b".") == target.encode()][0]
        th._set_record_name(iso, rec, new)
    return patch


def _root_garbage(iso, b):
    off = iso.pvd_offset() + 156
    iso.data[off + 2: off + 10] = tl.both_endian32(0xFFFFFFF0)
    iso.data[off + 10: off + 18] = tl.both_endian32(0xFFFFFFFF)


def _joliet_odd(iso, b):
    iso.data[iso.lookup("bb", iso.svd_offsets()[0]).offset + 32] = 3


# (id, view or None, patch(iso, base) or ("trunc", where))
HOSTILE_CASES = [
    ("dir-loop", None, _dir_loop),
    ("dir-loop-deeper", None, _dir_loop_deeper),
    ("joliet-dir-loop", "joliet", _joliet_loop),
    ("ce-self", None, _ce_self),
    ("ce-offset", None, _ce(12, 2047)),
    ("ce-length", None, _ce(20, 0xFFFFFFFF)),
    ("ce-block", None, _ce(4, 0x7FFFFFFF)),
    ("extent-past-end-7ffffff0", None, _record_field("aa", 2, 0x7FFFFFF0)),
    ("extent-past-end-ffffffff", None, _record_field("aa", 2, 0xFFFFFFFF)),
    ("data-length-ffffffff", None, _record_field("bb", 10, 0xFFFFFFFF)),
    ("dir-length-ffffffff", None, _record_field("big", 10, 0xFFFFFFFF)),
    ("block-size-0", None, _pvd_field(128, tl.both_endian16(0))),
    ("block-size-512", None, _pvd_field(128, tl.both_endian16(512))),
    ("block-size-ffff", None, _pvd_field(128, tl.both_endian16(0xFFFF))),
    ("short-record-1", None, _short_record(1)),
    ("short-record-33", None, _short_record(33)),
    ("root-garbage", None, _root_garbage),
    ("volume-space-huge", None, _pvd_field(80, tl.both_endian32(0xFFFFFFFF))),
    ("nm-dotdot", None, _nm("dd", b"..")),
    ("nm-parent-flag", None, _nm_flag("dd", 0x04)),
    ("nm-current-flag", None, _nm_flag("d1", 0x02)),
    ("nm-slash", None, _nm("up_sentinel_evil", b"../sentinel/evil")),
    ("nm-slash-inside", None, _nm("a_b", b"a/b")),
    ("nm-absolute", None, _nm_absolute),
    ("nm-nul", None, _nm("n0x", b"n\0x")),
    ("symlink-and-dir-same-name", None, _nm("s2", b"s1")),
    ("file-over-symlink", None, _nm("f2", b"f1")),
    ("joliet-dotdot", "joliet", _other_view_name("joliet", "dd", "..".encode("utf-16-be"))),
    ("joliet-slash", "joliet", _other_view_name("joliet", "a_b", "a/b".encode("utf-16-be"))),
    ("joliet-nul", "joliet", _other_view_name("joliet", "n0x", "n\0x".encode("utf-16-be"))),
    ("joliet-odd-length", "joliet", _joliet_odd),
    ("plain-dotdot", "plain", _other_view_name("plain", "DD", b"..")),
    ("plain-slash", "plain", _other_view_name("plain", "A_B", b"A/B.;1")),
    ("trunc-20k", None, ("trunc", "20k")),
    ("trunc-40k", None, ("trunc", "40k")),
    ("trunc-mid-directory", None, ("trunc", "mid-directory")),
    ("trunc-last-byte", None, ("trunc", "last-byte")),
]


def _hostile_image(base, tmp_path, case_id, patch) -> Path:
    out = tmp_path / f"{case_id}.iso"
    if isinstance(patch, tuple):
        data = base["image"].read_bytes()
        where = patch[1]
        cut = {"20k": 20 * 1024, "40k": 40 * 1024, "mid-directory": th._big_dir_middle(base),
               "last-byte": len(data) - 1}[where]
        out.write_bytes(data[:cut])
        return out
    iso = tl.IsoImage.load(base["image"])
    patch(iso, base)
    assert bytes(iso.data) != base["image"].read_bytes(), "the patch changed nothing"
    iso.save(out)
    return out


def check_survives(dimg, image, mp, *opts, must_fail_reads=()):
    """Mount (refusal with exit 1 and a proper message is fine), walk and read everything in
    a child with a timeout; the daemon must still serve the mount point and unmount
    cleanly. Returns the walker's summary (None if the mount was refused)."""
    m = FuseMount(dimg, image, mp, *opts, foreground=True)
    m.start()
    try:
        if m.refused:
            assert m.returncode == 1, f"mount exited {m.returncode} (want 0 or 1):\n{m.err}"
            assert m.err.startswith(f"dimg: {image}: "), f"error format:\n{m.err}"
            assert not is_mounted(m.real_mp)
            return None
        summary = walk_in_child(mp)
        assert m.alive(), f"dimg mount died while being read (exit {m.proc.poll()}):\n{m.log()}"
        st = os.stat(mp)   # the mount point still answers
        assert st.st_ino == 1 and stat.S_ISDIR(st.st_mode), st
        assert is_mounted(m.real_mp)
        assert summary["bad_names"] == [], summary["bad_names"]
        for rel in must_fail_reads:
            with pytest.raises(OSError) as ei:
                with open(Path(mp) / rel, "rb") as f:
                    f.read()
            assert ei.value.errno == errno.EIO, ei.value
        if summary["eio_reads"] or must_fail_reads:
            assert "read of inode" in m.log(), \
                f"a read failed with EIO but nothing was logged:\n{m.log()}\n{summary}"
        assert m.alive()
    finally:
        problems = m.stop()
    assert not problems, "; ".join(problems)
    return summary


@pytest.mark.hostile
@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[c[0] for c in HOSTILE_CASES])
def test_hostile_image(dimg, fuse, base, tmp_path, case):
    case_id, view, patch = case
    image = _hostile_image(base, tmp_path, case_id, patch)
    opts = ["--view", view] if view else []
    must_fail = ["aa"] if case_id.startswith("extent-past-end") else []
    summary = check_survives(dimg, image, tmp_path / "mnt", *opts, must_fail_reads=must_fail)
    if case_id.startswith("extent-past-end"):
        assert summary is not None, "an image with one bad file extent should mount"
        assert summary["files"] > 10
    if case_id == "trunc-20k":
        assert summary is None, "no volume descriptor: nothing to mount"


def test_hostile_base_mounts_fully(dimg, fuse, base, tmp_path):
    """The unpatched hostile base image mounts and reads fully (so the cases above test their
    patches)."""
    with mount_ok(dimg, base["image"], tmp_path / "mnt") as m:
        assert tl.manifest(m.mp, mtimes=False) == tl.manifest(base["src"], mtimes=False)


CORPUS_HOSTILE = ["rockridge_ce_loop", "rockridge_zf_overflow", "zisofs_overflow",
                  "joliet_utf16be_overflow"]


@pytest.mark.hostile
@pytest.mark.corpus
@pytest.mark.parametrize("pattern", CORPUS_HOSTILE)
def test_hostile_corpus(dimg, fuse, tmp_path, pattern):
    found = sorted(CORPUS.glob(f"libarchive/*{pattern}*.iso.xz")) if CORPUS.is_dir() else []
    if not found:
        pytest.skip(f"no *{pattern}* image in the corpus at {CORPUS}")
    for i, xz in enumerate(found):
        image = tmp_path / xz.name[:-3]
        with lzma.open(xz) as f:
            image.write_bytes(f.read())
        views = [None] + (["joliet"] if "joliet" in pattern else [])
        for v in views:
            check_survives(dimg, image, tmp_path / f"mnt{i}{v or ''}",
                           *(["--view", v] if v else []))


# --------------------------------------------------------------------------------------------
# 5. read-only, busy mount point, unmount, refusals


@pytest.fixture(scope="module")
def small_image(tmp_path_factory):
    src = tmp_path_factory.mktemp("small") / "src"
    src.mkdir()
    (src / "file.txt").write_bytes(b"hello from the image\n" * 100)
    (src / "dir").mkdir()
    (src / "dir" / "inner.bin").write_bytes(bytes(range(256)) * 40)
    os.symlink("file.txt", src / "link")
    img = src.parent / "small.iso"
    tl.make_xorriso_mkisofs(src, img, ["-R", "-J"])
    return img


def test_writes_fail_with_erofs(dimg, fuse, small_image, tmp_path):
    with mount_ok(dimg, small_image, tmp_path / "mnt") as m:
        mp = m.mp
        attempts = {
            "open for writing": lambda: open(mp / "file.txt", "r+b"),
            "open for appending": lambda: open(mp / "file.txt", "ab"),
            "create a file": lambda: open(mp / "new.txt", "wb"),
            "O_CREAT|O_EXCL": lambda: os.open(mp / "dir" / "n", os.O_CREAT | os.O_EXCL | os.O_WRONLY),
            "truncate": lambda: os.truncate(mp / "file.txt", 0),
            "mkdir": lambda: os.mkdir(mp / "newdir"),
            "rmdir": lambda: os.rmdir(mp / "dir"),
            "unlink": lambda: os.unlink(mp / "file.txt"),
            "rename": lambda: os.rename(mp / "file.txt", mp / "renamed.txt"),
            "symlink": lambda: os.symlink("x", mp / "newlink"),
            "link": lambda: os.link(mp / "file.txt", mp / "hard"),
            "chmod": lambda: os.chmod(mp / "file.txt", 0o777),
            "chown": lambda: os.chown(mp / "file.txt", 1, 1),
            "utime": lambda: os.utime(mp / "file.txt", (1, 1)),
            "setxattr": lambda: os.setxattr(mp / "file.txt", "user.test", b"x"),
            "removexattr": lambda: os.removexattr(mp / "file.txt", "user.dimg.view"),
            "mknod fifo": lambda: os.mkfifo(mp / "fifo"),
        }
        wrong = []
        for what, fn in attempts.items():
            try:
                r = fn()
            except OSError as e:
                if e.errno != errno.EROFS:
                    wrong.append(f"{what}: {errno.errorcode.get(e.errno)} instead of EROFS")
                continue
            if hasattr(r, "close"):
                r.close()
            elif isinstance(r, int):
                os.close(r)
            wrong.append(f"{what}: succeeded")
        assert not wrong, wrong
        # nothing changed, and reading still works
        assert (mp / "file.txt").read_bytes() == b"hello from the image\n" * 100
        assert sorted(os.listdir(mp)) == ["dir", "file.txt", "link"]
        assert "ro" in mount_entries(m.real_mp)[0][5].split(",")


def test_busy_mount_point(dimg, fuse, small_image, tmp_path):
    with mount_ok(dimg, small_image, tmp_path / "mnt") as m:
        before = set(dimg_processes(str(m.mp)))
        r = dimg.run("mount", small_image, m.mp, timeout=MOUNT_TIMEOUT)
        assert r.returncode == 1, r.describe()
        assert "in use" in r.err, r.describe()
        assert r.err.startswith("dimg: "), r.describe()
        # the first mount is untouched and no second server was left behind
        assert len(mount_entries(m.real_mp)) == 1, mount_entries(m.real_mp)
        assert (m.mp / "file.txt").read_bytes()[:5] == b"hello"
        after = {p for p in dimg_processes(str(m.mp)) if p[1] != "Z"}
        assert after <= before, f"new dimg processes: {after - before}"
        # a foreground mount on the busy point fails the same way
        r = dimg.run("mount", "-f", small_image, m.mp, timeout=MOUNT_TIMEOUT)
        assert r.returncode == 1 and "in use" in r.err, r.describe()
        # also through another path to the same directory
        r = dimg.run("mount", small_image, str(m.mp) + "/.", timeout=MOUNT_TIMEOUT)
        assert r.returncode == 1 and "in use" in r.err, r.describe()


def test_umount_leaves_no_process(dimg, fuse, small_image, tmp_path):
    m = mount_ok(dimg, small_image, tmp_path / "mnt")
    try:
        procs = [p for p, s in dimg_processes(str(m.mp)) if s != "Z"]
        assert len(procs) == 1, f"expected one daemon serving the mount, found {procs}"
        pid = procs[0]
        # daemonized: not a child of this test, detached from its session
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        assert int(fields[1]) != os.getpid(), "dimg mount did not daemonize"
        assert (m.mp / "dir" / "inner.bin").read_bytes() == bytes(range(256)) * 40
        r = m.umount()
        assert r.returncode == 0, r.describe()
        assert not is_mounted(m.real_mp)
        deadline = time.monotonic() + EXIT_TIMEOUT
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), f"dimg daemon {pid} still running after dimg umount"
        left = [p for p, s in dimg_processes(str(m.mp)) if s != "Z"]
        assert left == [], left
        # a second umount fails: nothing is mounted there
        r = m.umount()
        assert r.returncode == 1, r.describe()
    finally:
        problems = m.stop()
    assert not problems, problems


def test_foreground_mount_exits_on_umount(dimg, fuse, small_image, tmp_path):
    m = mount_ok(dimg, small_image, tmp_path / "mnt", foreground=True)
    try:
        assert m.proc.poll() is None
        assert (m.mp / "link").read_bytes() == (m.mp / "file.txt").read_bytes()
        r = m.umount()
        assert r.returncode == 0, r.describe()
        assert m.proc.wait(timeout=EXIT_TIMEOUT) == 0, m.log()
        assert m.log() == "", m.log()
    finally:
        problems = m.stop()
    assert not problems, problems


def test_relative_paths(dimg, fuse, small_image, tmp_path):
    """The daemon changes directory to /: relative image and mount point paths must have been
    resolved before that."""
    shutil.copy(small_image, tmp_path / "rel.iso")
    (tmp_path / "mnt").mkdir()
    env = dict(os.environ, LC_ALL="C.UTF-8")
    cp = subprocess.run([str(dimg.path), "mount", "rel.iso", "mnt"], cwd=tmp_path, env=env,
                        stdin=subprocess.DEVNULL, capture_output=True, timeout=MOUNT_TIMEOUT)
    m = FuseMount(dimg, tmp_path / "rel.iso", tmp_path / "mnt")
    m.real_mp = os.path.realpath(m.mp)
    m.pids = [p for p, s in dimg_processes("mnt") if s != "Z"]
    try:
        assert cp.returncode == 0, cp.stderr.decode()
        assert is_mounted(m.real_mp)
        assert (tmp_path / "mnt" / "file.txt").read_bytes()[:5] == b"hello"
        assert (tmp_path / "mnt" / "dir" / "inner.bin").stat().st_size == 10240
    finally:
        problems = m.stop()
    assert not problems, problems


@pytest.mark.parametrize("what", ["text", "random", "empty", "directory", "missing"])
def test_mount_non_image(dimg, fuse, tmp_path, what):
    img = tmp_path / "not-an-image"
    if what == "text":
        img.write_text("this is not a disc image\n" * 2000)
    elif what == "random":
        img.write_bytes(random.Random(7).randbytes(1 << 20))
    elif what == "empty":
        img.write_bytes(b"")
    elif what == "directory":
        img.mkdir()
    mp = tmp_path / "mnt"
    mp.mkdir()
    m = FuseMount(dimg, img, mp)
    m.start()
    try:
        assert m.refused, "a non-image was mounted"
        assert m.returncode == 1, m.result.describe()
        assert m.err.startswith(f"dimg: {img}: "), "error format:\n" + m.result.describe()
        assert len(m.err.strip().splitlines()) == 1, m.result.describe()
        assert not is_mounted(m.real_mp)
        assert dimg_processes(str(mp)) == []
        assert os.listdir(mp) == []
    finally:
        problems = m.stop()
    assert not problems, problems


def test_mount_point_missing(dimg, fuse, small_image, tmp_path):
    mp = tmp_path / "does-not-exist"
    r = dimg.run("mount", small_image, mp, timeout=MOUNT_TIMEOUT)
    assert r.returncode == 1, r.describe()
    assert r.err.startswith(f"dimg: {mp}: "), r.describe()
    assert not mp.exists()
    assert dimg_processes(str(mp)) == []


# --------------------------------------------------------------------------------------------
# 6. --boot, extended attributes, statfs


@pytest.fixture(scope="module")
def boot_image(tmp_path_factory):
    base = tmp_path_factory.mktemp("mountboot")
    src = base / "src"
    (src / "boot").mkdir(parents=True)
    (src / "boot/boot.bin").write_bytes(tl._content(2048, 911))
    (src / "efi.img").write_bytes(tl._content(36864 + 512, 912))
    (src / "floppy.img").write_bytes(tl._content(1474560, 913))
    (src / "readme.txt").write_text("boot test\n")
    img = base / "boot.iso"
    tl.make_xorriso_mkisofs(src, img, ["-R", "-J", "-b", "boot/boot.bin", "-no-emul-boot",
                                       "-boot-load-size", "4", "-c", "boot/boot.cat",
                                       "-eltorito-alt-boot", "-e", "efi.img", "-no-emul-boot",
                                       "-eltorito-alt-boot", "-b", "floppy.img"])
    return img, src


def test_boot_images(dimg, fuse, boot_image, tmp_path):
    img, src = boot_image
    want_dir = tmp_path / "bootimgs"
    dimg.extract(img, tmp_path / "files", "--boot", want_dir)
    want = {}
    for p in want_dir.iterdir():
        n = int(p.name.split("-")[1])       # boot-N-PLATFORM[-EMULATION].img
        want[n] = p
    assert len(want) == 3, sorted(p.name for p in want_dir.iterdir())
    entries = dimg.info(img)["boot"]["entries"]
    with mount_ok(dimg, img, tmp_path / "mnt", "--boot") as m:
        boot = m.mp / ".boot"
        names = sorted(os.listdir(boot))
        assert ".boot" in os.listdir(m.mp)
        assert len(names) == len(want), names
        for name in names:
            parts = name[:-4].split("-") if name.endswith(".img") else []
            assert len(parts) == 3 and parts[0] == "boot", f"bad name {name!r}"
            n = int(parts[1])
            assert parts[2] == entries[n]["platform"], (name, entries[n])
            assert want[n].name.startswith(f"boot-{n}-{parts[2]}"), (name, want[n].name)
            got = (boot / name).read_bytes()
            assert got == want[n].read_bytes(), f"{name} differs from dimg extract --boot"
            st = os.stat(boot / name)
            assert stat.S_ISREG(st.st_mode) and st.st_size == len(got)
            assert st.st_mode & 0o222 == 0, oct(st.st_mode)
            with pytest.raises(OSError) as ei:
                open(boot / name, "r+b")
            assert ei.value.errno == errno.EROFS
        # the catalog's load size counts 512-byte sectors and xorriso rounds it up to whole
        # 2048-byte blocks: a boot image may be its file plus padding
        contents = [(boot / n).read_bytes() for n in names]
        for f in ("boot/boot.bin", "efi.img", "floppy.img"):
            data = (src / f).read_bytes()
            assert any(c.startswith(data) and len(c) - len(data) < 2048 for c in contents), f
        # the tree itself is as without --boot
        st = os.stat(boot)
        assert stat.S_ISDIR(st.st_mode)
        top = sorted(n for n in os.listdir(m.mp) if n != ".boot")
        assert top == sorted(os.listdir(tmp_path / "files"))
        assert (m.mp / "readme.txt").read_text() == "boot test\n"
        with pytest.raises(FileNotFoundError):
            os.stat(boot / "boot-9-bios.img")
    # without --boot there is no .boot
    with mount_ok(dimg, img, tmp_path / "mnt2") as m:
        assert ".boot" not in os.listdir(m.mp)
        assert not os.path.exists(m.mp / ".boot")


def test_xattrs(dimg, fuse, matrix, tmp_path):
    spec = SPEC_BY_ID["x-RJ"]
    img = matrix.image(spec)
    info = dimg.info(img)
    ls = {e["path"].strip("/"): e for e in dimg.json("ls", "-R", "--json", img)}
    iso = tl.IsoImage.load(img)
    for view, opt in ((RR, []), (JOLIET, ["--view", "joliet"])):
        with mount_ok(dimg, img, tmp_path / f"mnt-{view}", *opt) as m:
            root_x = set(os.listxattr(m.mp))
            assert {"user.dimg.view", "user.dimg.format"} <= root_x, root_x
            assert os.getxattr(m.mp, "user.dimg.view").decode() == view
            fmt = os.getxattr(m.mp, "user.dimg.format").decode()
            assert fmt in (info["format"], info["container"]), (fmt, info["format"])
            for rel in ("sizes/size_2049", "sizes/size_65539", "compressible/zeros_300k",
                        "big/entry_149.dat"):
                p = m.mp / rel
                names = set(os.listxattr(p))
                assert {"user.dimg.extents", "user.dimg.view", "user.dimg.format"} <= names, \
                    (rel, names)
                ext = os.getxattr(p, "user.dimg.extents").decode()
                lba, size = (int(x) for x in ext.split("+"))
                # decoded here from the image (Joliet tree: the same extents, plain names)
                rec = iso.lookup(rel, iso.svd_offsets()[0])
                assert (lba, size) == (rec.extent, rec.size), (rel, ext, rec)
                want = ls[rel]["extents"]
                assert [(lba, size)] == [(e["lba"], e["size"]) for e in want], (rel, ext, want)
                assert size == os.stat(p).st_size
                assert os.getxattr(p, "user.dimg.flags") == b""
                with pytest.raises(OSError) as ei:
                    os.getxattr(p, "user.dimg.no-such-attribute")
                assert ei.value.errno == errno.ENODATA
            if view == RR:
                # symlinks answer without being followed
                names = os.listxattr(m.mp / "links/rel_file", follow_symlinks=False)
                assert "user.dimg.view" in names, names
    # zisofs flag
    zspec = SPEC_BY_ID["xn-zisofs"]
    with mount_ok(dimg, matrix.image(zspec), tmp_path / "mnt-z") as m:
        assert os.getxattr(m.mp / "compressible/zeros_300k", "user.dimg.flags") == b"zisofs"
        assert (m.mp / "compressible/zeros_300k").read_bytes() == b"\0" * 300000 + b"end"


def test_statfs(dimg, fuse, matrix, boot_image, tmp_path):
    for i, img in enumerate([matrix.image(SPEC_BY_ID["g-RJ"]), boot_image[0]]):
        with mount_ok(dimg, img, tmp_path / f"mnt{i}") as m:
            s = os.statvfs(m.mp)
            assert s.f_bsize == 2048, s
            assert s.f_frsize == 2048, s
            assert s.f_blocks == img.stat().st_size // 2048, (s, img.stat().st_size)
            assert s.f_bfree == 0 and s.f_bavail == 0, s
            assert s.f_flag & os.ST_RDONLY, s
            assert s.f_namemax >= 255, s
            # df agrees
            out = tl.run(["df", "-B", "2048", "--output=size", str(m.mp)]).stdout.decode()
            assert int(out.split()[-1]) == img.stat().st_size // 2048, out


# --------------------------------------------------------------------------------------------
# raw CD images: the data track at the root, audio tracks as WAV files with --audio

@pytest.fixture(scope="module")
def cd_disc(dimg, tmp_path_factory):
    import cd_helpers as ch
    tmp = tmp_path_factory.mktemp("cdmount")
    m = ch.MixedDisc(dimg, tmp)
    m.single = m.write_single(tmp / "single")
    return m


def test_mount_cd_data_track(dimg, fuse, cd_disc, tmp_path):
    ex = tmp_path / "ex"
    dimg.extract(cd_disc.single, ex)
    mp = tmp_path / "mp"
    mp.mkdir()
    with mount_ok(dimg, cd_disc.single, mp) as m:
        check_like_extract(mp, ex, "cue data track")
        assert not (mp / ".audio").exists()
        assert m.stop() == []


def test_mount_cd_audio(dimg, fuse, cd_disc, tmp_path):
    import cd_helpers as ch
    mp = tmp_path / "mp"
    mp.mkdir()
    with mount_ok(dimg, cd_disc.single, mp, "--audio") as m:
        names = sorted(os.listdir(mp / ".audio"))
        assert names == ["track02.wav", "track03.wav"]
        for n, pcm in ((2, cd_disc.audio[0]), (3, cd_disc.audio[1])):
            wav = mp / ".audio" / f"track{n:02d}.wav"
            assert os.stat(wav).st_size == 44 + len(pcm)
            assert ch.wav_pcm(wav) == pcm
            # the same bytes as dimg convert writes
            dimg.ok("convert", "-f", "--track", n, cd_disc.single, tmp_path / "x.wav")
            assert wav.read_bytes() == (tmp_path / "x.wav").read_bytes()
        assert (mp / "README.txt").exists()
        assert m.stop() == []


def test_mount_audio_only_disc(dimg, fuse, cd_disc, tmp_path):
    import cd_helpers as ch
    (tmp_path / "a.bin").write_bytes(cd_disc.audio[0] + cd_disc.audio[1])
    n1 = len(cd_disc.audio[0]) // ch.RAW
    cue = tmp_path / "a.cue"
    cue.write_text(f'FILE "a.bin" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n'
                   f'  TRACK 02 AUDIO\n    INDEX 01 {ch.msf(n1)}\n')
    mp = tmp_path / "mp"
    mp.mkdir()
    r = dimg.run("mount", cue, mp)
    assert r.returncode == 1 and "no filesystem" in r.err, r.describe()
    with mount_ok(dimg, cue, mp, "--audio") as m:
        assert os.listdir(mp) == [".audio"]
        assert ch.wav_pcm(mp / ".audio" / "track01.wav") == cd_disc.audio[0]
        assert ch.wav_pcm(mp / ".audio" / "track02.wav") == cd_disc.audio[1]
        assert m.stop() == []


def test_mount_track_option(dimg, fuse, cd_disc, tmp_path):
    mp = tmp_path / "mp"
    mp.mkdir()
    r = dimg.run("mount", "--track", "2", cd_disc.single, mp)
    assert r.returncode == 1 and "audio track" in r.err, r.describe()
    with mount_ok(dimg, cd_disc.single, mp, "--track", "1") as m:
        assert (mp / "README.txt").exists()
        assert m.stop() == []
