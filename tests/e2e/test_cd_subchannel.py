"""R-W sub-channel data stored after every sector: cdrdao's `TRACK <mode> RW_RAW` (raw R-W as on
the disc, what `cdrdao read-cd --read-subchan rw_raw` writes) and `RW` (packed), and the cue
sheet's CDG tracks (audio + raw R-W).  The bytes move between a TOC's inline R-W, a cue's CDG
track and a CloneCD .sub without loss, and every format that has no place for them says so.

The sub-channel arithmetic here (de-interleaving P-W, the Q CRC) is written from ECMA-130 and the
CloneCD layout, independently of dimg's; chdman and cdrdao check the TOC files dimg writes."""

import hashlib
import re
from pathlib import Path

import pytest

import cd_helpers as ch
import dimg_testlib as tl
from test_mount import FuseMount, fuse  # noqa: F401  (fuse: fixture)

RAW = ch.RAW


rw_bytes, deinterleave, q_crc_ok = ch.rw_bytes, ch.deinterleave, ch.q_crc_ok


def blocks(b: bytes, size: int):
    return [b[i:i + size] for i in range(0, len(b), size)]


@pytest.fixture(scope="module")
def data_disc(dimg, tmp_path_factory):
    """The sample ISO as a raw Mode 1 track (by dimg's convert, checked by chdman elsewhere) and
    the same track with 96 bytes of R-W after every sector, described by a cdrdao TOC."""
    d = tmp_path_factory.mktemp("rwdata")
    iso = ch.sample_iso(d)
    dimg.ok("convert", iso, d / "plain.cue")
    plain = (d / "plain.bin").read_bytes()
    n = len(plain) // RAW
    rw = rw_bytes(n, 7)
    (d / "s.bin").write_bytes(b"".join(s + rw[96 * i:96 * i + 96]
                                       for i, s in enumerate(blocks(plain, RAW))))
    (d / "s.toc").write_text('CD_ROM\nTRACK MODE1_RAW RW_RAW\nDATAFILE "s.bin"\n')
    return {"dir": d, "iso": iso, "plain": plain, "rw": rw, "n": n}


def test_toc_rw_raw_data_track_reads(dimg, data_disc):
    d = data_disc["dir"]
    info = dimg.info(d / "s.toc")
    t = info["sessions"][0]["tracks"][0]
    assert (t["mode"], t["subchannel"], t["length"]) == ("MODE1/2352", "RW_RAW", data_disc["n"])
    assert info["disc"]["subchannel"] is True
    assert "+RW_RAW" in dimg.ok("info", d / "s.toc").out
    assert tl.ls_paths(dimg.ls(d / "s.toc")) == tl.ls_paths(dimg.ls(data_disc["iso"]))
    v = dimg.run("verify", d / "s.toc")
    assert v.returncode == 0, v.describe()
    h = dimg.json("hash", "--json", "--per-track", "--algo", "sha1", d / "s.toc")
    assert h["tracks"][0]["sha1"] == hashlib.sha1((d / "s.bin").read_bytes()).hexdigest()
    dimg.ok("convert", "--lossy", d / "s.toc", d / "o.iso")  # the R-W cannot go along
    assert (d / "o.iso").read_bytes() == data_disc["iso"].read_bytes()


def test_toc_rw_raw_to_ccd_and_back(dimg, data_disc):
    d = data_disc["dir"]
    dimg.ok("convert", d / "s.toc", d / "x.ccd")
    dimg.ok("convert", d / "plain.cue", d / "p.ccd")  # P and Q from the same track table
    assert (d / "x.img").read_bytes() == data_disc["plain"]
    subs, gen = blocks((d / "x.sub").read_bytes(), 96), blocks((d / "p.sub").read_bytes(), 96)
    assert len(subs) == data_disc["n"]
    for i, (s, g) in enumerate(zip(subs, gen)):
        assert s[24:] == deinterleave(data_disc["rw"][96 * i:96 * i + 96])[24:], f"R-W {i}"
        assert s[:24] == g[:24] and q_crc_ok(s[12:24]), f"P/Q of sector {i}"
    # and back: the .sub's R-W becomes RW_RAW again, byte for byte
    dimg.ok("convert", d / "x.ccd", d / "y.toc")
    assert re.search(r"^TRACK MODE1_RAW RW_RAW$", (d / "y.toc").read_text(), re.M)
    assert (d / "y.bin").read_bytes() == (d / "s.bin").read_bytes()


def test_toc_rw_raw_where_it_cannot_go(dimg, data_disc):
    d = data_disc["dir"]
    r = dimg.run("convert", d / "s.toc", d / "z.cue")
    assert r.returncode != 0 and "track 1: its subchannel data (R-W)" in r.err, r.describe()
    assert not (d / "z.cue").exists() and not (d / "z.bin").exists()
    dimg.ok("convert", "--lossy", d / "s.toc", d / "z.cue")
    assert (d / "z.bin").read_bytes() == data_disc["plain"]
    r = dimg.run("convert", d / "s.toc", d / "q.iso")
    assert r.returncode != 0 and "subchannel" in r.err, r.describe()


def test_toc_rw_raw_oracles(dimg, data_disc):
    """cdrdao reads dimg's TOC with the same number of blocks; chdman stores the track with its
    sub-channel and extracts the same bytes again."""
    d = data_disc["dir"]
    dimg.ok("convert", "--force", d / "s.toc", d / "w.toc")
    cdrdao = tl.require_tool("cdrdao")
    # --force: the sample track is shorter than the 4 seconds a disc track must have
    r = tl.run([cdrdao, "toc-info", "--force", d / "w.toc"], check=False)
    m = re.search(r"1 tracks, length [0-9:]+, (\d+) blocks", r.stdout.decode() + r.stderr.decode())
    assert m and int(m.group(1)) == data_disc["n"], r.stderr
    chdman = tl.require_tool("chdman")
    tl.run([chdman, "createcd", "-f", "-i", d / "w.toc", "-o", d / "w.chd"], timeout=120)
    tl.run([chdman, "extractcd", "-f", "-i", d / "w.chd", "-o", d / "e.toc"], timeout=120)
    assert "RW_RAW" in (d / "e.toc").read_text()
    assert (d / "e.bin").read_bytes() == (d / "s.bin").read_bytes()


@pytest.mark.parametrize("pq", [False, True], ids=["rw-only", "with-pq"])
def test_cdg_through_ccd_and_toc(dimg, tmp_path, pq):
    """A CD+G track (cue CDG) to CloneCD and back, and to a TOC (AUDIO RW_RAW) and back: the
    same bytes.  R-W land in the .sub; P and Q there are the generated ones unless the CDG bytes
    carry their own (bits 7 and 6)."""
    n = 300
    audio = ch.pcm(n / 75, 440, tmp_path)[:n * RAW]
    rw = rw_bytes(n, 11, pq)
    (tmp_path / "g.bin").write_bytes(b"".join(a + rw[96 * i:96 * i + 96]
                                              for i, a in enumerate(blocks(audio, RAW))))
    (tmp_path / "g.cue").write_text('FILE "g.bin" BINARY\n  TRACK 01 CDG\n    INDEX 01 00:00:00\n')
    (tmp_path / "a.bin").write_bytes(audio)
    (tmp_path / "a.cue").write_text('FILE "a.bin" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n')
    dimg.ok("convert", tmp_path / "g.cue", tmp_path / "x.ccd")
    dimg.ok("convert", tmp_path / "a.cue", tmp_path / "p.ccd")
    assert (tmp_path / "x.img").read_bytes() == audio
    subs = blocks((tmp_path / "x.sub").read_bytes(), 96)
    gen = blocks((tmp_path / "p.sub").read_bytes(), 96)
    for i in range(n):
        want = deinterleave(rw[96 * i:96 * i + 96])
        assert subs[i][24:] == want[24:]
        assert subs[i][:24] == (want[:24] if pq else gen[i][:24])
    dimg.ok("convert", tmp_path / "x.ccd", tmp_path / "y.cue")
    assert "TRACK 01 CDG" in (tmp_path / "y.cue").read_text()
    assert (tmp_path / "y.bin").read_bytes() == (tmp_path / "g.bin").read_bytes()
    dimg.ok("convert", tmp_path / "g.cue", tmp_path / "t.toc")
    assert re.search(r"^TRACK AUDIO RW_RAW$", (tmp_path / "t.toc").read_text(), re.M)
    dimg.ok("convert", tmp_path / "t.toc", tmp_path / "u.cue")
    assert (tmp_path / "u.bin").read_bytes() == (tmp_path / "g.bin").read_bytes()
    # a WAV keeps the music, not the graphics
    r = dimg.run("convert", tmp_path / "g.cue", tmp_path / "g.wav")
    assert r.returncode != 0 and "CD+G" in r.err
    dimg.ok("convert", "--lossy", "--to", "raw", tmp_path / "g.cue", tmp_path / "g.pcm")
    assert (tmp_path / "g.pcm").read_bytes() == audio


def test_ccd_audio_with_plain_sub_stays_audio(dimg, tmp_path):
    """A .sub that holds only what the track table gives does not turn audio into CD+G."""
    audio = ch.pcm(4.0, 550, tmp_path)
    (tmp_path / "a.bin").write_bytes(audio)
    (tmp_path / "a.cue").write_text('FILE "a.bin" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n')
    dimg.ok("convert", tmp_path / "a.cue", tmp_path / "x.ccd")
    dimg.ok("convert", tmp_path / "x.ccd", tmp_path / "y.toc")
    assert re.search(r"^TRACK AUDIO$", (tmp_path / "y.toc").read_text(), re.M)
    dimg.ok("convert", tmp_path / "x.ccd", tmp_path / "z.cue")
    assert "TRACK 01 AUDIO" in (tmp_path / "z.cue").read_text()
    assert (tmp_path / "z.bin").read_bytes() == audio


def test_packed_rw_kept_in_toc_only(dimg, tmp_path):
    """`TRACK AUDIO RW`: packed R-W is kept as bytes; only a TOC file can hold it again."""
    n = 320
    audio = ch.pcm(n / 75, 660, tmp_path)[:n * RAW]
    rw = rw_bytes(n, 5)
    (tmp_path / "p.bin").write_bytes(b"".join(a + rw[96 * i:96 * i + 96]
                                              for i, a in enumerate(blocks(audio, RAW))))
    (tmp_path / "p.toc").write_text('CD_DA\nTRACK AUDIO RW\nDATAFILE "p.bin"\n')
    t = dimg.info(tmp_path / "p.toc")["sessions"][0]["tracks"][0]
    assert (t["mode"], t["subchannel"], t["length"]) == ("AUDIO", "RW", n)
    dimg.ok("convert", tmp_path / "p.toc", tmp_path / "q.toc")
    assert re.search(r"^TRACK AUDIO RW$", (tmp_path / "q.toc").read_text(), re.M)
    assert (tmp_path / "q.bin").read_bytes() == (tmp_path / "p.bin").read_bytes()
    for out in ("c.cue", "c.ccd"):
        r = dimg.run("convert", tmp_path / "p.toc", tmp_path / out)
        assert r.returncode != 0 and "packed R-W" in r.err, r.describe()
    dimg.ok("convert", "--lossy", tmp_path / "p.toc", tmp_path / "c.cue")
    assert (tmp_path / "c.bin").read_bytes() == audio
    dimg.ok("convert", "--to", "raw", "--lossy", tmp_path / "p.toc", tmp_path / "p.pcm")
    assert (tmp_path / "p.pcm").read_bytes() == audio


def test_rw_raw_bad_lengths(dimg, tmp_path):
    (tmp_path / "s.bin").write_bytes(b"\0" * (2448 * 3 + 100))
    (tmp_path / "s.toc").write_text('CD_ROM\nTRACK MODE1_RAW RW_RAW\nDATAFILE "s.bin"\n')
    r = dimg.run("info", tmp_path / "s.toc")
    assert r.returncode != 0 and "2448-byte" in r.err, r.describe()
    (tmp_path / "f.toc").write_text('CD_ROM\nTRACK MODE1 RW_RAW\nFILE "s.bin" 0\n')
    r = dimg.run("info", tmp_path / "f.toc")
    assert r.returncode != 0 and "f.toc:3:1" in r.err and "sub-channel" in r.err, r.describe()


def test_mount_audio_with_subchannel(dimg, tmp_path, fuse):  # noqa: F811
    """The WAV view of audio tracks whose sectors carry R-W (packed RW, CDG) is the music only."""
    n = 320
    audio = [ch.pcm(n / 75, f, tmp_path)[:n * RAW] for f in (440, 550)]
    rw = rw_bytes(n, 9)
    for name, a in zip(("p.bin", "g.bin"), audio):
        (tmp_path / name).write_bytes(b"".join(s + rw[96 * i:96 * i + 96]
                                               for i, s in enumerate(blocks(a, RAW))))
    (tmp_path / "d.toc").write_text('CD_DA\nTRACK AUDIO RW\nDATAFILE "p.bin"\n'
                                    'TRACK AUDIO RW_RAW\nDATAFILE "g.bin"\n')
    mp = tmp_path / "mp"
    mp.mkdir()
    with FuseMount(dimg, tmp_path / "d.toc", mp, "--audio"):
        assert ch.wav_pcm(mp / ".audio" / "track01.wav") == audio[0]
        assert ch.wav_pcm(mp / ".audio" / "track02.wav") == audio[1]
