"""libcdio's two NRG images (../shared/corpus/libcdio or $DIMG_CORPUS; skipped without it):
p1.nrg (disc-at-once, "NER5", two audio tracks, CD-TEXT) and videocd.nrg (track-at-once,
"NERO", five Mode 2 tracks, an ISO 9660 file system).

Oracles: libcdio's expected cd-info output for videocd.nrg (right/videocd.right: track table,
volume label, file listing with LSNs), cd-info and cd-read run on the images (libcdio's own NRG
reader: track table, CD-TEXT, audio and Form 1 bytes), p1.bin from the same corpus (the cue/bin
of the same audio), chdman createcd/extractcd for the cue dimg writes."""

import os
import re
from pathlib import Path

import pytest

import dimg_testlib as tl

CORPUS = Path(os.environ.get("DIMG_CORPUS", tl.REPO.parent / "shared" / "corpus"))
pytestmark = pytest.mark.corpus
RAW = 2352


@pytest.fixture(scope="module")
def cdio(tmp_path_factory):
    src = CORPUS / "libcdio"
    if not src.is_dir():
        pytest.skip(f"external corpus not found at {CORPUS} (set DIMG_CORPUS)")
    d = tmp_path_factory.mktemp("cdio-nrg")
    for name in ("p1.nrg", "videocd.nrg", "p1.bin"):
        (d / name).write_bytes(tl.run(["xz", "-dc", src / f"{name}.xz"]).stdout)
    return d


def cd_info(path):
    cdinfo = tl.require_tool("cd-info")
    out = tl.run([cdinfo, "--no-header", "--no-device-info", "--no-cddb", "-i", path]).stdout
    return out.decode(errors="replace")


def track_rows(text):
    """(number, LSN, type, copy) per track and the lead-out LSN of a cd-info track list."""
    rows = [(int(m[1]), int(m[2]), m[3], m[4]) for m in
            re.finditer(r"^\s*(\d+): \d\d:\d\d:\d\d  (\d{6}) (\w+)\s+\w+\s+(\w+)", text, re.M)
            if m[1] != "170"]
    lead = int(re.search(r"^170: \d\d:\d\d:\d\d  (\d{6}) leadout", text, re.M)[1])
    return rows, lead


def tracks(info):
    return [t for s in info["sessions"] for t in s["tracks"]]


# ---- videocd.nrg: track-at-once, old footer -----------------------------------------------------

def test_videocd_track_table(dimg, cdio):
    rows, lead = track_rows((CORPUS / "libcdio" / "right" / "videocd.right").read_text())
    info = dimg.info(cdio / "videocd.nrg")
    assert info["container"] == "nrg"
    assert [(t["number"], t["start"]) for t in tracks(info)] == [(n, s) for n, s, *_ in rows]
    assert rows == [(1, 0, "XA", "no"), (2, 826, "XA", "no"), (3, 1051, "XA", "no"),
                    (4, 1276, "XA", "no"), (5, 1501, "XA", "no")]
    assert all(t["mode"] == "MODE2/2336" and t["flags"] == [] for t in tracks(info))
    assert info["disc"]["leadout"] == lead == 1726
    assert info["filesystem"]["volume_id"] == "SVIDEOCD"
    # the same table from cd-info run here
    assert track_rows(cd_info(cdio / "videocd.nrg")) == (rows, lead)


def right_files():
    """(path, LSN, size) of every file in videocd.right's listing; for Form 2 files the size
    in parentheses (the ISO 9660 record's, 2048 bytes a sector)."""
    text = (CORPUS / "libcdio" / "right" / "videocd.right").read_text()
    out, cur = [], None
    for line in text.splitlines():
        m = re.match(r"^(/.*):$", line)
        if m:
            cur = m[1].strip("/")
            continue
        m = re.match(r"^\s+(\S+) .*\[LSN\s+(\d+)\]\s+(\d+)(?: \(\s*(\d+)\))? .* (\S+)$", line)
        if m and cur is not None and m[5] not in (".", ".."):
            path = f"{cur}/{m[5]}" if cur else m[5]
            out.append((path.lower(), int(m[2]), int(m[4] or m[3]), m[1].startswith("d")))
    return sorted(out)


def test_videocd_ls_matches_right(dimg, cdio):
    want = right_files()
    assert len(want) == 18
    got = sorted((e["path"].lower(), e["extents"][0]["lba"], e["size"], e["type"] == "dir")
                 for e in dimg.ls(cdio / "videocd.nrg"))
    assert got == want


def test_videocd_extract(dimg, cdio, tmp_path):
    """Every file extracts with its size; the Form 1 files' bytes are what cd-read returns for
    their sectors."""
    dimg.extract(cdio / "videocd.nrg", tmp_path / "x")
    cdread = tl.require_tool("cd-read")
    for path, lsn, size, is_dir in right_files():
        p = next((q for q in (tmp_path / "x").rglob("*")
                  if str(q.relative_to(tmp_path / "x")).lower() == path), None)
        assert p is not None, path
        if is_dir:
            continue
        assert p.stat().st_size == size, path
        if path.startswith(("svcd/", "ext/")):
            n = (size + 2047) // 2048
            out = tmp_path / "r"
            tl.run([cdread, "--no-header", "-m", "m2f1", "-i", cdio / "videocd.nrg", "-s",
                    str(lsn), "-n", str(n), "-o", out])
            assert p.read_bytes() == out.read_bytes()[:size], path


def test_videocd_convert_verify_chdman(dimg, cdio, tmp_path):
    cue = tmp_path / "x.cue"
    dimg.ok("convert", cdio / "videocd.nrg", cue)
    assert dimg.run("verify", cue).returncode == 0
    assert dimg.run("verify", cdio / "videocd.nrg").returncode == 0
    a, b = dimg.info(cdio / "videocd.nrg"), dimg.info(cue)
    assert a["sessions"] == b["sessions"]
    chdman = tl.require_tool("chdman")
    tl.run([chdman, "createcd", "-i", cue, "-o", tmp_path / "x.chd"], timeout=300)
    tl.run([chdman, "extractcd", "-i", tmp_path / "x.chd", "-o", tmp_path / "y.cue",
            "-ob", tmp_path / "y.bin"], timeout=300)
    assert (tmp_path / "y.bin").read_bytes() == (tmp_path / "x.bin").read_bytes()
    assert dimg.info(tmp_path / "y.cue")["sessions"] == a["sessions"]


# ---- p1.nrg: disc-at-once, NER5, audio ----------------------------------------------------------

def test_p1_track_table_vs_cd_info(dimg, cdio):
    text = cd_info(cdio / "p1.nrg")
    rows, lead = track_rows(text)
    info = dimg.info(cdio / "p1.nrg")
    assert rows == [(1, 150, "audio", "yes"), (2, 300, "audio", "yes")]
    assert [(t["number"], t["start"], "DCP" in t["flags"]) for t in tracks(info)] == \
        [(n, s, c == "yes") for n, s, _, c in rows]
    assert info["disc"]["leadout"] == lead == 302
    # the cue points' INDEX 00 (track 1's clipped at LBA 0)
    assert [t["indexes"][0]["lba"] for t in tracks(info)] == [0, 225]
    for key in ("TITLE", "PERFORMER"):
        m = re.search(rf"CD-TEXT for Disc:.*?{key}: ([^\n]+)", text, re.S)
        assert info["disc"]["cdtext"][key] == m[1].strip()


def test_p1_audio_bytes(dimg, cdio, tmp_path):
    """The audio as dimg writes it is what libcdio's cd-read returns (little-endian, as stored)
    and byte for byte p1.bin, the BIN of the same disc in the corpus (whose cue puts the INDEX
    01 points 75 sectors earlier; the sectors are the same)."""
    cue = tmp_path / "p1.cue"
    dimg.ok("convert", cdio / "p1.nrg", cue)
    binb = (tmp_path / "p1.bin").read_bytes()
    assert len(binb) == 302 * RAW
    assert binb == (cdio / "p1.bin").read_bytes()
    cdread = tl.require_tool("cd-read")
    out = tmp_path / "r"
    tl.run([cdread, "--no-header", "-m", "audio", "-i", cdio / "p1.nrg", "-s", "0", "-n", "302",
            "-o", out])
    assert out.read_bytes() == binb
    raw = tmp_path / "t2.raw"
    dimg.ok("convert", "--to", "raw", "--track", "2", cdio / "p1.nrg", raw)
    assert raw.read_bytes() == binb[300 * RAW:]
    # little-endian PCM: neighbouring samples are close as read, far apart byte-swapped
    import struct
    pcm = binb[:53 * RAW]
    le = struct.unpack(f"<{len(pcm) // 2}h", pcm)[0::2]
    be = struct.unpack(f">{len(pcm) // 2}h", pcm)[0::2]
    jump = lambda s: sum(abs(s[i + 1] - s[i]) for i in range(len(s) - 1)) / len(s)  # noqa: E731
    assert jump(le) * 10 < jump(be)


def test_p1_convert_matrix(dimg, cdio, tmp_path):
    info = dimg.info(cdio / "p1.nrg")
    for fmt in ("cue", "toc", "ccd"):
        out = tmp_path / fmt / f"p1.{fmt}"
        out.parent.mkdir()
        dimg.ok("convert", cdio / "p1.nrg", out)
        assert tracks(dimg.info(out)) == tracks(info), fmt
    assert dimg.run("verify", cdio / "p1.nrg").returncode == 0
    h = dimg.ok("hash", "--per-track", cdio / "p1.nrg").out
    import hashlib
    binb = (cdio / "p1.bin").read_bytes()
    assert hashlib.sha1(binb[:225 * RAW]).hexdigest() in h
    assert hashlib.sha1(binb[225 * RAW:]).hexdigest() in h
