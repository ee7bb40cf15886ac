"""EAC's "noncompliant" multi-file cue sheets: each track's pregap (INDEX 00) is the end of the
PREVIOUS track's FILE and its INDEX 01 begins a new FILE:

    FILE "01.bin" BINARY
      TRACK 01 AUDIO
        INDEX 01 00:00:00
      TRACK 02 AUDIO
        INDEX 00 03:10:20
    FILE "02.bin" BINARY
        INDEX 01 00:00:00

The disc is the files end to end; a track's sectors run from its INDEX 00 in one file to the
INDEX 00 of the next track in the next file.  The discs here are three audio tracks whose
pregaps are tones (not silence), so a pregap read from the wrong place shows.

Oracles: the expected layout and bytes are computed here from the PCM (made by sox); chdman
and cd-info check dimg's standard conversion.  Neither reads the EAC sheet itself: chdman
0.251 binds a track to the FILE named before its TRACK line and takes INDEX 01 - INDEX 00 of
two different files as the pregap (a negative PREGAP in its metadata, wrong track lengths);
cd-info (libcdio) reads one BIN only and crashes on such a sheet; cdrdao refuses it ("Pregap
out of range").  What is comparable is the disc: chdman's and cd-info's reading of dimg's
single-BIN conversion must equal the track table dimg reads from the EAC sheet, and chdman's
extracted BIN must equal the files end to end."""

import hashlib
import struct
import zlib
from pathlib import Path

import pytest

import cd_helpers as ch
import dimg_testlib as tl

RAW = ch.RAW


def wav_file(pcm: bytes) -> bytes:
    return (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 2, 44100, 176400, 4, 16) + b"data" +
            struct.pack("<I", len(pcm)) + pcm)


class EacDisc:
    """Three audio tracks; tracks 2 and 3 have pregaps of 40 and 31 sectors stored at the end
    of the previous track's file, and track 2 has an INDEX 02 one second after INDEX 01."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.data = [ch.pcm(2.0, 440, tmp), ch.pcm(1.5, 550, tmp), ch.pcm(1.2, 660, tmp)]
        self.gaps = [b"", ch.pcm(40 / 75, 880, tmp), ch.pcm(31 / 75, 990, tmp)]
        assert [len(g) // RAW for g in self.gaps] == [0, 40, 31]
        # what each file holds: a track's data, then the next track's pregap
        self.files = [self.data[i] + (self.gaps[i + 1] if i + 1 < 3 else b"") for i in range(3)]

    @property
    def disc(self) -> bytes:
        return b"".join(self.files)

    def track_bytes(self, n: int) -> bytes:
        """Track n's sectors, pregap included (what a Redump-style per-track file holds)."""
        return self.gaps[n - 1] + self.data[n - 1]

    def write(self, d: Path, wave=False, name="eac") -> Path:
        d.mkdir(parents=True, exist_ok=True)
        ext, ftype = ("wav", "WAVE") if wave else ("bin", "BINARY")
        for i, f in enumerate(self.files, 1):
            (d / f"{i:02d}.{ext}").write_bytes(wav_file(f) if wave else f)
        lines = [f'FILE "01.{ext}" {ftype}', "  TRACK 01 AUDIO", "    INDEX 01 00:00:00"]
        for n in (2, 3):
            lines += [f"  TRACK {n:02d} AUDIO",
                      f"    INDEX 00 {ch.msf(len(self.data[n - 2]) // RAW)}",
                      f'FILE "{n:02d}.{ext}" {ftype}', "    INDEX 01 00:00:00"]
            if n == 2:
                lines.append("    INDEX 02 00:01:00")
        cue = d / f"{name}.cue"
        cue.write_text("\n".join(lines) + "\n")
        return cue

    def expected(self):
        """(number, begin, start, end, {index: lba}) per track."""
        out, lba = [], 0
        for n in (1, 2, 3):
            begin = lba
            start = begin + len(self.gaps[n - 1]) // RAW
            end = start + len(self.data[n - 1]) // RAW
            idx = {1: start}
            if n > 1:
                idx[0] = begin
            if n == 2:
                idx[2] = start + 75
            out.append((n, begin, start, end, idx))
            lba = end
        return out

    def expected_table(self):
        return [{"number": n, "mode": "AUDIO", "start": s, "pregap": s - b, "length": e - s}
                for n, b, s, e, _ in self.expected()]

    def standard_sheet(self, binname: str) -> str:
        lines = [f'FILE "{binname}" BINARY']
        for n, _, _, _, idx in self.expected():
            lines.append(f"  TRACK {n:02d} AUDIO")
            lines += [f"    INDEX {k:02d} {ch.msf(v)}" for k, v in sorted(idx.items())]
        return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def eac(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eac")
    e = EacDisc(tmp)
    e.bin = e.write(tmp / "bin")
    e.wav = e.write(tmp / "wav", wave=True)
    return e


def sheet(eac, kind):
    return eac.bin if kind == "bin" else eac.wav


def tracks_of(info):
    return [{k: t[k] for k in ("number", "mode", "start", "pregap", "length")}
            for s in info["sessions"] for t in s["tracks"]]


def test_sheet_is_eac_style(eac):
    """The fixture really is the noncompliant layout (guards the tests below)."""
    text = eac.bin.read_text().splitlines()
    i = text.index("  TRACK 02 AUDIO")
    assert text[i + 1].startswith("    INDEX 00 ") and text[i + 2] == 'FILE "02.bin" BINARY'
    assert text[i + 3] == "    INDEX 01 00:00:00"


@pytest.mark.parametrize("kind", ["bin", "wav"])
def test_info_track_table(dimg, eac, kind):
    info = dimg.info(sheet(eac, kind))
    assert tracks_of(info) == eac.expected_table()
    got = [{i["number"]: i["lba"] for i in t["indexes"]}
           for s in info["sessions"] for t in s["tracks"]]
    assert got == [idx for *_, idx in eac.expected()]
    assert info["disc"]["leadout"] == len(eac.disc) // RAW


@pytest.mark.parametrize("kind", ["bin", "wav"])
def test_single_bin_is_the_files_end_to_end(dimg, eac, tmp_path, kind):
    out = tmp_path / "one.cue"
    dimg.ok("convert", sheet(eac, kind), out)
    assert (tmp_path / "one.bin").read_bytes() == eac.disc
    # a standard sheet: one FILE, every INDEX absolute in it
    assert out.read_text() == eac.standard_sheet("one.bin")
    assert tracks_of(dimg.info(out)) == eac.expected_table()


def test_split_is_redump_style(dimg, eac, tmp_path):
    """--split: one BIN per track with its pregap at its start; back to one BIN is the disc."""
    out = tmp_path / "s" / "x.cue"
    out.parent.mkdir()
    dimg.ok("convert", "--split", eac.bin, out)
    for n in (1, 2, 3):
        assert (out.parent / f"x (Track {n:02d}).bin").read_bytes() == eac.track_bytes(n), n
    text = out.read_text()
    assert 'FILE "x (Track 02).bin" BINARY\n  TRACK 02 AUDIO\n    INDEX 00 00:00:00\n' \
           '    INDEX 01 00:00:40\n    INDEX 02 00:01:40\n' in text, text
    back = tmp_path / "b" / "y.cue"
    back.parent.mkdir()
    dimg.ok("convert", out, back)
    assert (back.parent / "y.bin").read_bytes() == eac.disc


@pytest.mark.parametrize("via", ["toc", "ccd"])
def test_round_trip_via(dimg, eac, tmp_path, via):
    mid = tmp_path / "m" / f"d.{via}"
    mid.parent.mkdir()
    dimg.ok("convert", eac.bin, mid)
    assert tracks_of(dimg.info(mid)) == eac.expected_table()
    back = tmp_path / "b" / "d.cue"
    back.parent.mkdir()
    dimg.ok("convert", mid, back)
    assert (back.parent / "d.bin").read_bytes() == eac.disc


@pytest.mark.parametrize("kind", ["bin", "wav"])
def test_wav_with_and_without_pregap(dimg, eac, tmp_path, kind):
    for n in (2, 3):
        wav = tmp_path / f"p{n}.wav"
        dimg.ok("convert", "--track", n, "--with-pregap", sheet(eac, kind), wav)
        assert ch.wav_pcm(wav) == eac.track_bytes(n), n
        plain = tmp_path / f"t{n}.wav"
        dimg.ok("convert", "--track", n, sheet(eac, kind), plain)
        assert ch.wav_pcm(plain) == eac.data[n - 1], n
    # track 1 ends where track 2's pregap begins
    one = tmp_path / "t1.raw"
    dimg.ok("convert", "--to", "raw", "--track", 1, sheet(eac, kind), one)
    assert one.read_bytes() == eac.data[0]


@pytest.mark.parametrize("kind", ["bin", "wav"])
def test_verify_good(dimg, eac, kind):
    r = dimg.run("verify", "--json", sheet(eac, kind))
    assert r.returncode == 0, r.describe()


def test_hash_per_track_is_each_track_with_its_pregap(dimg, eac):
    """Per track: the track's sectors from INDEX 00 (in the previous file) to the next track's
    INDEX 00 - what a Redump-style split file of the track holds; the whole image: the files
    end to end."""
    rep = dimg.json("hash", "--json", "--per-track", "--algo", "crc32,md5,sha1", eac.bin)
    assert [t["number"] for t in rep["tracks"]] == [1, 2, 3]
    for t in rep["tracks"]:
        data = eac.track_bytes(t["number"])
        assert t["size"] == len(data)
        assert t["sha1"] == hashlib.sha1(data).hexdigest()
        assert t["md5"] == hashlib.md5(data).hexdigest()
        assert t["crc32"] == f"{zlib.crc32(data):08x}"
    assert rep["crc32"] == f"{zlib.crc32(eac.disc):08x}" and rep["size"] == len(eac.disc)
    whole = dimg.json("hash", "--json", "--algo", "sha1", eac.wav)
    assert whole["sha1"] == hashlib.sha1(eac.disc).hexdigest()


def test_chdman_agrees_on_the_conversion(dimg, eac, tmp_path):
    chdman = tl.require_tool("chdman")
    one = tmp_path / "one.cue"
    dimg.ok("convert", eac.bin, one)
    tl.run([chdman, "createcd", "-i", one, "-o", tmp_path / "d.chd"], timeout=300)
    tl.run([chdman, "extractcd", "-i", tmp_path / "d.chd", "-o", tmp_path / "x.cue",
            "-ob", tmp_path / "x.bin"], timeout=300)
    assert (tmp_path / "x.bin").read_bytes() == eac.disc
    assert tracks_of(dimg.info(tmp_path / "x.cue")) == tracks_of(dimg.info(eac.bin))


def test_cd_info_agrees_on_the_conversion(dimg, eac, tmp_path):
    cdinfo = tl.require_tool("cd-info")
    one = tmp_path / "one.cue"
    dimg.ok("convert", eac.bin, one)
    out = tl.run([cdinfo, "--no-cddb", "--no-device-info", "-q", "--cue-file", one]).stdout.decode()
    for t in eac.expected_table():
        assert f"{t['number']:>3}: {ch.msf(t['start'] + 150)}  {t['start']:06d} audio" in out, out
    leadout = len(eac.disc) // RAW
    assert f"170: {ch.msf(leadout + 150)}  {leadout:06d} leadout" in out, out


# ---- hostile ----------------------------------------------------------------------------------

def copy_with(eac, tmp_path, old, new) -> Path:
    d = tmp_path / "h"
    d.mkdir()
    for i in (1, 2, 3):
        (d / f"{i:02d}.bin").write_bytes((eac.bin.parent / f"{i:02d}.bin").read_bytes())
    text = eac.bin.read_text()
    assert old in text
    cue = d / "h.cue"
    cue.write_text(text.replace(old, new, 1))
    return cue


@pytest.mark.hostile
def test_index00_beyond_previous_file_end(dimg, eac, tmp_path):
    frames = len(eac.files[0]) // RAW
    cue = copy_with(eac, tmp_path, f"INDEX 00 {ch.msf(len(eac.data[0]) // RAW)}",
                    f"INDEX 00 {ch.msf(frames + 1)}")
    line = cue.read_text().splitlines().index(f"    INDEX 00 {ch.msf(frames + 1)}") + 1
    for args in (["info"], ["verify"], ["convert", "--force"]):
        extra = [tmp_path / "o.cue"] if args[0] == "convert" else []
        r = dimg.run(*args, cue, *extra)
        assert r.returncode == 1, r.describe()
        assert f"h.cue:{line}:14:" in r.err and "INDEX 00 of track 2" in r.err, r.err
        assert f'"01.bin" has only {len(eac.files[0])}' in r.err, r.err
    assert not list(tmp_path.glob("o.*")) and not list(tmp_path.glob(".o.*"))


@pytest.mark.hostile
def test_index01_must_begin_the_new_file(dimg, eac, tmp_path):
    cue = copy_with(eac, tmp_path, 'FILE "02.bin" BINARY\n    INDEX 01 00:00:00',
                    'FILE "02.bin" BINARY\n    INDEX 01 00:00:05')
    line = cue.read_text().splitlines().index("    INDEX 01 00:00:05") + 1
    r = dimg.run("info", cue)
    assert r.returncode == 1 and f"h.cue:{line}:14:" in r.err, r.describe()
    assert "must be 00:00:00" in r.err, r.err
