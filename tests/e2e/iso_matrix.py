"""The ISO read matrix: which images are built from the hard tree and how, the session-wide
cache of built images and extractions, and the expectations derived from the source tree.
Used by test_iso_matrix.py and test_kernel_oracle.py (fixture `matrix` in conftest.py)."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path

import dimg_testlib as tl

RR, JOLIET, PLAIN, ISO1999 = "rockridge", "joliet", "plain", "iso1999"
VIEW_OPT = {RR: "rr", JOLIET: "joliet", PLAIN: "plain", ISO1999: "iso1999"}

# bsdtar 3.6.2 joins the components of a Rock Ridge SL record wrongly when they straddle two
# SL entries (a "/" goes missing or is doubled); the source tree is the oracle for those.
BSDTAR_KNOWN_WRONG = {"links/long_target"}


@dataclass
class Spec:
    id: str
    maker: str                      # genisoimage | mkisofs (xorriso -as mkisofs) | xorriso
    args: list = field(default_factory=list)
    views: tuple = (RR, PLAIN)      # views the image has (info --json "views", as a set)
    rationalized: bool = False      # -r: modes rationalized, owners 0
    joliet_limit: int = 64          # Joliet name length limit (UTF-16 units)
    joliet_utf16: bool = False      # names outside the BMP kept (xorriso -joliet-utf16)
    max_dir_depth: int | None = None  # genisoimage without RR drops directories below level 8
    zisofs: bool = False            # file data is zisofs-compressed (views other than RR raw)
    tree: str = "hard"              # hard | zf (mkzftree of the hard tree)
    hardlinks: bool = True          # the image records the hard link (bsdtar agrees)

    @property
    def default_view(self):
        for v in (RR, JOLIET, ISO1999, PLAIN):
            if v in self.views:
                return v


SPECS = [
    # genisoimage (run in UTC, see make_genisoimage)
    Spec("g-R", "genisoimage", ["-R"]),
    Spec("g-R-l1", "genisoimage", ["-R", "-iso-level", "1"]),
    Spec("g-R-l2", "genisoimage", ["-R", "-iso-level", "2"]),
    Spec("g-R-l3", "genisoimage", ["-R", "-iso-level", "3"]),
    Spec("g-R-l4", "genisoimage", ["-R", "-iso-level", "4"], views=(RR, ISO1999, PLAIN)),
    Spec("g-r", "genisoimage", ["-r"], rationalized=True),
    Spec("g-RJ", "genisoimage", ["-R", "-J"], views=(RR, JOLIET, PLAIN)),
    Spec("g-rJ-long", "genisoimage", ["-r", "-J", "-joliet-long"], views=(RR, JOLIET, PLAIN),
         rationalized=True, joliet_limit=103),
    Spec("g-J", "genisoimage", ["-J"], views=(JOLIET, PLAIN), max_dir_depth=7),
    Spec("g-J-long", "genisoimage", ["-J", "-joliet-long"], views=(JOLIET, PLAIN),
         joliet_limit=103, max_dir_depth=7),
    Spec("g-plain-l1", "genisoimage", ["-iso-level", "1"], views=(PLAIN,), max_dir_depth=7),
    Spec("g-plain-l4", "genisoimage", ["-iso-level", "4"], views=(ISO1999, PLAIN)),
    Spec("g-zf", "genisoimage", ["-R", "-z"], tree="zf", zisofs=True),
    # xorriso -as mkisofs (Rock Ridge is always on there), run in a +05:45 zone
    Spec("x-R", "mkisofs", ["-R"]),
    Spec("x-R-l1", "mkisofs", ["-R", "-iso-level", "1"]),
    Spec("x-R-l2", "mkisofs", ["-R", "-iso-level", "2"]),
    Spec("x-R-l3", "mkisofs", ["-R", "-iso-level", "3"]),
    Spec("x-r", "mkisofs", ["-r"], rationalized=True),
    Spec("x-RJ", "mkisofs", ["-R", "-J"], views=(RR, JOLIET, PLAIN)),
    Spec("x-RJ-long", "mkisofs", ["-R", "-J", "-joliet-long"], views=(RR, JOLIET, PLAIN),
         joliet_limit=103),
    Spec("x-RJ-utf16", "mkisofs", ["-R", "-J", "-joliet-utf16"], views=(RR, JOLIET, PLAIN),
         joliet_utf16=True),
    Spec("x-hardlinks", "mkisofs", ["-R", "--hardlinks"]),
    Spec("x-zf-mkzftree", "mkisofs", ["-R", "-z"], tree="zf", zisofs=True),
    # xorriso native
    Spec("xn-zisofs", "xorriso", ["-set_filter_r", "--zisofs", "/", "--"], zisofs=True),
    Spec("xn-joliet", "xorriso", ["PRE", "-rockridge", "off", "-joliet", "on"],
         views=(JOLIET, PLAIN)),
    Spec("xn-plain", "xorriso", ["PRE", "-rockridge", "off"], views=(PLAIN,)),
]
SPEC_BY_ID = {s.id: s for s in SPECS}

VIEW_CASES = [(s.id, v) for s in SPECS for v in s.views]


def _view_case_id(case):
    return f"{case[0]}:{case[1]}"


# --------------------------------------------------------------------------------------------
# session-wide cache: each image is built once, each extraction done once


class Matrix:
    def __init__(self, tmp_path_factory, hard_tree):
        self.tmp = tmp_path_factory.mktemp("matrix")
        self.tree = hard_tree
        self._images = {}
        self._zf_tree = None
        self._cache = {}

    def source_root(self, spec: Spec) -> Path:
        if spec.tree == "zf":
            if self._zf_tree is None:
                dst = self.tmp / "zf-src"
                tl.make_zisofs_tree(self.tree.root, dst)
                self._zf_tree = dst
            return self._zf_tree
        return self.tree.root

    def image(self, spec: Spec) -> Path:
        if spec.id not in self._images:
            out = self.tmp / f"{spec.id}.iso"
            src = self.source_root(spec)
            volid = spec.id.upper().replace("-", "_")[:16]
            if spec.maker == "genisoimage":
                tl.make_genisoimage(src, out, spec.args, volid=volid)
            elif spec.maker == "mkisofs":
                tl.make_xorriso_mkisofs(src, out, spec.args, volid=volid)
            else:
                if spec.args and spec.args[0] == "PRE":
                    cmds = {"pre": spec.args[1:]}
                else:
                    cmds = {"post": spec.args}
                tl.make_xorriso_native(src, out, cmds, volid=volid)
            self._images[spec.id] = out
        return self._images[spec.id]

    def volid(self, spec):
        return spec.id.upper().replace("-", "_")[:16]

    def memo(self, key, fn):
        if key not in self._cache:
            try:
                self._cache[key] = ("ok", fn())
            except BaseException as e:  # re-raise the same failure for every test using it
                self._cache[key] = ("err", e)
        kind, val = self._cache[key]
        if kind == "err":
            raise val
        return val

    def dimg_extract(self, dimg, spec, view):
        def do():
            dest = self.tmp / f"dimg-{spec.id}-{view}"
            args = [] if view == spec.default_view else ["--view", VIEW_OPT[view]]
            dest.mkdir()
            r = dimg.run("extract", "-C", dest, *args, self.image(spec), timeout=120)
            assert r.returncode == 0, "dimg extract failed:\n" + r.describe()
            assert r.err.strip() == "", "dimg extract printed diagnostics:\n" + r.describe()
            return dest
        return self.memo(("dimg", spec.id, view), do)

    def dimg_ls(self, dimg, spec, view):
        def do():
            args = [] if view == spec.default_view else ["--view", VIEW_OPT[view]]
            return dimg.json("ls", "-R", "--json", *args, self.image(spec))
        return self.memo(("ls", spec.id, view), do)

    def bsdtar(self, spec, view):
        def do():
            dest = self.tmp / f"bsdtar-{spec.id}-{view}"
            cp = tl.bsdtar_extract(self.image(spec), dest) if view == RR else \
                _bsdtar_plain(self.image(spec), dest)
            assert cp.returncode == 0, f"oracle bsdtar failed on {spec.id}: {cp.stderr!r}"
            return dest
        return self.memo(("bsdtar", spec.id, view), do)

    def pycdlib(self, spec, view):
        return self.memo(("pycdlib", spec.id, view),
                         lambda: tl.pycdlib_manifest(self.image(spec), joliet=(view == JOLIET)))

    def source_entries(self, spec):
        return self.memo(("src",), lambda: tl.manifest_entries(self.tree.root))


def _bsdtar_plain(image, dest):
    tl.require_tool("bsdtar")
    dest.mkdir(parents=True, exist_ok=True)
    return tl.run(["bsdtar", "-x", "-p", "--options", "iso9660:!rockridge,iso9660:!joliet",
                   "-f", image, "-C", dest], check=False)


# --------------------------------------------------------------------------------------------
# expectations derived from the source tree


def expected_rr(spec: Spec, src_entries: dict) -> dict:
    return tl.transform_entries(src_entries, rationalize=spec.rationalized)


def _depth_ok(spec, path, t):
    if spec.max_dir_depth is None:
        return True
    comps = path.split("/")
    dirs = len(comps) if t == "dir" else len(comps) - 1
    return dirs <= spec.max_dir_depth


def _joliet_safe(spec, path):
    for c in path.split("/"):
        if ";" in c or any(ch in c for ch in "*/:?\\"):
            return False
        if not spec.joliet_utf16 and any(ord(ch) > 0xFFFF for ch in c):
            return False
        if len(c.encode("utf-16-be")) // 2 > spec.joliet_limit:
            return False
    return True


def expected_joliet_subset(spec, src_entries):
    """The source entries Joliet represents unchanged (names, types, sizes, mtimes, content)."""
    out = {}
    for p, v in src_entries.items():
        if v[0] == "symlink" or not _depth_ok(spec, p, v[0]) or not _joliet_safe(spec, p):
            continue
        out[p] = v
    return tl.transform_entries(out, drop_modes=True)


def content_multiset(entries, spec=None):
    """Contents of the non-empty files (genisoimage puts symlinks into Joliet as empty files)."""
    return collections.Counter(v[4] for p, v in entries.items()
                               if v[0] == "file" and v[2] != "0"
                               and (spec is None or _depth_ok(spec, p, "file")))


def no_modes(entries):
    return tl.transform_entries(entries, drop_modes=True)


