"""Cue sheets and TOC files from libcdio's and libcue's test data (../shared/corpus or
$DIMG_CORPUS): the good ones give the track tables in libcdio's expected cd-info outputs, the bad
ones a clear error naming the line; plus hostile sheets written here."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

import dimg_testlib as tl

CORPUS = Path(os.environ.get("DIMG_CORPUS", tl.REPO.parent / "shared" / "corpus"))
pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def cdio(tmp_path_factory):
    src = CORPUS / "libcdio"
    if not src.is_dir():
        pytest.skip(f"external corpus not found at {CORPUS} (set DIMG_CORPUS)")
    d = tmp_path_factory.mktemp("cdio")
    for f in src.iterdir():
        if f.name.endswith((".cue.xz", ".toc.xz", ".bin.xz", ".cdt.xz")):
            (d / f.name[:-3]).write_bytes(tl.run(["xz", "-dc", f]).stdout)
    return d


def right_table(name):
    """Track starts (LSN), data/audio and the lead-out from a libcdio .right file."""
    text = (CORPUS / "libcdio" / "right" / name).read_text(errors="replace")
    tracks = [(int(m[1]), int(m[2]), m[3]) for m in
              re.finditer(r"^\s*(\d+): \d\d:\d\d:\d\d  (\d{6}) (data|audio)", text, re.M)]
    leadout = int(re.search(r"^170: \d\d:\d\d:\d\d  (\d{6}) leadout", text, re.M)[1])
    mcn = re.search(r"Media Catalog Number \(MCN\): (\d{13})", text)
    return tracks, leadout, mcn[1] if mcn else None, text


@pytest.mark.parametrize("sheet,right", [("cdda.cue", "cdda.right"),
                                         ("cdda_4_5.cue", "cdda_4_5.right"),
                                         ("isofs-m1.cue", "isofs-m1.right")])
def test_good_cue_track_table(dimg, cdio, sheet, right):
    tracks, leadout, mcn, text = right_table(right)
    info = dimg.info(cdio / sheet)
    got = [(t["number"], t["start"], "audio" if t["mode"] == "AUDIO" else "data")
           for s in info["sessions"] for t in s["tracks"]]
    assert got == tracks
    assert info["disc"]["leadout"] == leadout
    assert info["disc"].get("catalog") == mcn
    if "Copy? " in text and " yes " in text:
        assert all("DCP" in t["flags"] for s in info["sessions"] for t in s["tracks"])


def test_cdda_cue_cdtext(dimg, cdio):
    info = dimg.info(cdio / "cdda.cue")
    assert info["disc"]["cdtext"] == {"TITLE": "Join us now we have the software",
                                      "PERFORMER": "Richard Stallman"}
    assert info["sessions"][0]["tracks"][0]["cdtext"] == {"TITLE": "Soft", "PERFORMER": "Richard S"}


def test_isofs_m1_cue_reads_and_verifies(dimg, cdio):
    ls = dimg.ls(cdio / "isofs-m1.cue")
    assert any(e["path"] == "COPYING" for e in ls), ls
    r = dimg.run("verify", "--json", cdio / "isofs-m1.cue")
    assert r.returncode == 0 and json.loads(r.stdout)["raw_sectors_checked"] == 302


def test_isofs_m1_bchunk_iso_back_to_original_bin(dimg, cdio, tmp_path):
    """bchunk extracts the cooked ISO from another writer's raw BIN; dimg regenerates every raw
    sector from it (headers, EDC, ECC) byte for byte."""
    bchunk = tl.require_tool("bchunk")
    tl.run([bchunk, cdio / "isofs-m1.bin", cdio / "isofs-m1.cue", tmp_path / "t"])
    cue = tmp_path / "r.cue"
    dimg.ok("convert", tmp_path / "t01.iso", cue)
    assert (tmp_path / "r.bin").read_bytes() == (cdio / "isofs-m1.bin").read_bytes()


@pytest.mark.parametrize("toc", ["cdda.toc", "isofs-m1.toc"])
def test_good_toc_with_data(dimg, cdio, toc):
    info = dimg.info(cdio / toc)
    t = info["sessions"][0]["tracks"]
    assert t[0]["start"] == 0
    if toc == "isofs-m1.toc":
        assert t[0]["mode"] == "MODE1/2352" and info["disc"]["leadout"] == 302
    else:
        # DATAFILE "cdda.bin" #200 00:00:25: 25 sectors from byte 200
        assert t[0]["mode"] == "AUDIO" and t[0]["length"] == 25


BAD = ["bad-cat1", "bad-cat2", "bad-cat3", "bad-mode1", "bad-msf-1", "bad-msf-2", "bad-msf-3"]


@pytest.mark.parametrize("name", BAD)
@pytest.mark.parametrize("ext", ["cue", "toc"])
def test_bad_sheets_name_the_line(dimg, cdio, name, ext):
    sheet = cdio / f"{name}.{ext}"
    r = dimg.run("info", sheet)
    assert r.returncode == 1, r.describe()
    m = re.search(rf"{re.escape(sheet.name)}:(\d+)(:\d+)?: ", r.err)
    assert m, r.err
    lines = sheet.read_text(errors="replace").splitlines()
    n = int(m[1]) - 1
    key = {"cat": "CATALOG", "mode": "TRACK", "msf": ""}[re.sub(r"bad-|\d|-", "", name)]
    # the line of the bad token, or (a missing argument) the statement just before it
    near = [lines[n]] + [l for l in lines[:n] if l.strip() and not l.lstrip().startswith("//")][-1:]
    assert any(key in l.upper() for l in near), (r.err, near)


def test_missing_file_names_the_line(dimg, cdio):
    r = dimg.run("info", cdio / "p1.cue")
    assert r.returncode == 1 and "p1.cue:4:" in r.err and "BOING.BIN" in r.err, r.err
    r = dimg.run("info", cdio / "bad-file.toc")
    assert r.returncode == 1 and "foo.bin" in r.err, r.err


def test_libcue_sheets(dimg, tmp_path):
    src = CORPUS / "libcue"
    if not src.is_dir():
        pytest.skip("libcue corpus absent")
    for f in sorted(src.glob("*.cue")):
        shutil.copy(f, tmp_path / f.name)
        r = dimg.run("info", tmp_path / f.name, timeout=20)
        # no BINs are shipped: every sheet must end in a clear error, never a crash
        assert r.returncode == 1, r.describe()
        assert r.err.startswith("dimg: ") and len(r.err.splitlines()) == 1, r.err


def test_99_tracks_parse(dimg, tmp_path):
    src = CORPUS / "libcue" / "99_tracks.cue"
    if not src.is_file():
        pytest.skip("libcue corpus absent")
    text = src.read_text(errors="replace")
    names = set(re.findall(r'FILE "([^"]+)"', text))
    last = max(int(m[1]) * 4500 + int(m[2]) * 75 + int(m[3])
               for m in re.finditer(r"INDEX 01 (\d+):(\d+):(\d+)", text))
    import struct
    size = (last + 100) * 2352
    for n in names:
        with open(tmp_path / n, "wb") as f:
            f.write(b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt " +
                    struct.pack("<IHHIIHH", 16, 1, 2, 44100, 176400, 4, 16) + b"data" +
                    struct.pack("<I", size))
            f.truncate(44 + size)
    shutil.copy(src, tmp_path / "99.cue")
    info = dimg.info(tmp_path / "99.cue")
    assert len(info["sessions"][0]["tracks"]) == 99


# ---- hostile sheets (no corpus needed) --------------------------------------------------------

HOSTILE = {
    "dotdot": ('FILE "../secret.bin" BINARY\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n', "leaves"),
    "absolute": ('FILE "/etc/passwd" BINARY\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n', "absolute"),
    "backslash_dotdot": ('FILE "..\\\\x.bin" BINARY\nTRACK 01 MODE1/2352\nINDEX 01 00:00:00\n', "leaves"),
    "huge_msf": ('FILE "d.bin" BINARY\nTRACK 01 MODE1/2352\nINDEX 01 99999999:00:00\n', "too large"),
    "beyond_99": ('FILE "d.bin" BINARY\nTRACK 01 MODE1/2352\nINDEX 01 120:00:00\n', "beyond"),
    "hundred_tracks": ('FILE "d.bin" BINARY\n' + "".join(
        f"TRACK {n:02d} AUDIO\nINDEX 01 00:00:{n % 75:02d}\n" for n in range(1, 101)), "99"),
    "overlap": ('FILE "d.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:10\nTRACK 02 AUDIO\n'
                'INDEX 01 00:00:05\n', "not 00:00:00|before"),
    "overlap2": ('FILE "d.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\n'
                 'INDEX 01 00:00:30\nTRACK 03 AUDIO\nINDEX 01 00:00:20\n', "starts before"),
    "short_bin": ('FILE "d.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\n'
                  'INDEX 01 00:50:00\n', "has only|no sectors"),
    "no_index": ('FILE "d.bin" BINARY\nTRACK 01 AUDIO\nTRACK 02 AUDIO\nINDEX 01 00:00:00\n', "INDEX 01"),
    "track_before_file": ('TRACK 01 AUDIO\nINDEX 01 00:00:00\n', "before any FILE"),
    "unterminated": ('FILE "d.bin BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n', "unterminated"),
    "nul": ('FILE "d.bin" BINARY\nTRACK 01 AUDIO\x00\nINDEX 01 00:00:00\n', "control"),
    "index_order": ('FILE "d.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:10\nINDEX 02 00:00:05\n',
                    "before INDEX"),
    "unknown": ('FILE "d.bin" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nFROB 1\n', "unknown command"),
    "long_word": ('FILE "d.bin" BINARY\nTRACK 01 AUDIO\nTITLE ' + "x" * 5000 + '\n', "longer"),
    "bad_number": ('FILE "d.bin" BINARY\nTRACK 1x AUDIO\nINDEX 01 00:00:00\n', "not a number"),
}


@pytest.mark.hostile
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_cue(dimg, tmp_path, name):
    text, want = HOSTILE[name]
    (tmp_path / "d.bin").write_bytes(b"\0" * 2352 * 40)
    sub = tmp_path / "in"
    sub.mkdir()
    (sub / "d.bin").write_bytes(b"\0" * 2352 * 40)
    cue = sub / "x.cue"
    cue.write_bytes(text.encode())
    for cmd in (["info"], ["verify"], ["ls"], ["hash"]):
        r = dimg.run(*cmd, cue, timeout=20)
        assert r.returncode == 1, r.describe()
        assert re.search(want, r.err), r.err
    out = tmp_path / "o"
    out.mkdir()
    r = dimg.run("convert", cue, out / "x.toc", timeout=20)
    assert r.returncode == 1 and not list(out.iterdir())


def test_cdtextfile(dimg, cdio, tmp_path):
    """A cue's CDTEXTFILE (libcdio's cdtext.cdt) is decoded into the disc's CD-TEXT (the text
    of libcdio's cdtext.right); a cue rewrite copies the file, toc and ccd carry the text."""
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(cdio / "cdda.bin", d / "a.bin")
    shutil.copy(cdio / "cdtext.cdt", d / "t.cdt")
    cue = d / "a.cue"
    cue.write_text('CDTEXTFILE "t.cdt"\nFILE "a.bin" BINARY\n'
                   '  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n'
                   '  TRACK 02 AUDIO\n    INDEX 01 00:01:00\n'
                   '  TRACK 03 AUDIO\n    INDEX 01 00:02:00\n')
    info = dimg.info(cue)
    disc = info["disc"]
    assert disc["cdtextfile_found"] is True
    assert disc["cdtext"]["TITLE"] == "Joyful Nights"
    assert disc["cdtext"]["PERFORMER"] == "United Cat Orchestra"
    assert disc["cdtext"]["MESSAGE"] == "For all our fans"
    tracks = info["sessions"][0]["tracks"]
    assert tracks[0]["cdtext"]["TITLE"] == "Song of Joy"
    assert tracks[0]["cdtext"]["COMPOSER"] == "Ludwig van Beethoven"
    assert tracks[1]["cdtext"]["TITLE"] == "Humpty Dumpty"
    out = tmp_path / "o"
    out.mkdir()
    dimg.ok("convert", cue, out / "x.cue")
    assert (out / "x.cdt").read_bytes() == (d / "t.cdt").read_bytes()
    assert 'CDTEXTFILE "x.cdt"' in (out / "x.cue").read_text()
    assert "TITLE" not in (out / "x.cue").read_text()  # named by the file, not repeated
    for fmt in ("toc", "ccd"):
        dimg.ok("convert", cue, out / f"y.{fmt}")
        t = dimg.info(out / f"y.{fmt}")
        assert t["disc"]["cdtext"]["TITLE"] == "Joyful Nights", fmt
        assert t["sessions"][0]["tracks"][0]["cdtext"]["TITLE"] == "Song of Joy", fmt
    # a missing CDTEXTFILE is reported, not fatal
    (d / "t.cdt").unlink()
    info = dimg.info(cue)
    assert info["disc"]["cdtextfile_found"] is False and "cdtext" not in info["disc"]
    r = dimg.run("convert", cue, out / "z.toc")
    assert r.returncode == 1 and "CDTEXTFILE" in r.err
