"""Raw CD images: BIN/CUE (one BIN or one per track), TOC, CCD; convert, verify, hash.

Oracles: chdman createcd/extractcd (byte identity), cd-info (track table), bchunk (ISO and WAV
bytes), sha1sum/md5sum of the track files (Redump hashes), and PCM made by sox."""

import hashlib
import json
import os
import zlib
from pathlib import Path

import pytest

import cd_helpers as ch
import dimg_testlib as tl

RAW = ch.RAW


@pytest.fixture(scope="module")
def mixed(dimg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mixed")
    m = ch.MixedDisc(dimg, tmp)
    m.single = m.write_single(tmp / "single")
    m.split = m.write_split(tmp / "split")
    return m


def tracks_of(info):
    return [{k: t[k] for k in ("number", "mode", "start", "pregap", "length")}
            for s in info["sessions"] for t in s["tracks"]]


# ---- ISO <-> BIN/CUE ----------------------------------------------------------------------------

def test_iso_to_cue_raw_sectors_and_back(dimg, tmp_path):
    iso = ch.sample_iso(tmp_path)
    cue = tmp_path / "out.cue"
    dimg.ok("convert", iso, cue)
    binf = tmp_path / "out.bin"
    raw = binf.read_bytes()
    assert len(raw) == iso.stat().st_size // 2048 * RAW
    assert "MODE1/2352" in cue.read_text()
    # verify passes and counts every sector
    v = dimg.run("verify", "--json", cue)
    assert v.returncode == 0, v.describe()
    rep = json.loads(v.stdout)
    assert rep["status"] == "good" and rep["raw_sectors_checked"] == len(raw) // RAW
    # the user data is the ISO, sector by sector, behind a correct header
    isob = iso.read_bytes()
    for lba in (0, 16, len(raw) // RAW - 1):
        s = raw[lba * RAW:(lba + 1) * RAW]
        assert s[:12] == b"\x00" + b"\xff" * 10 + b"\x00"
        m, sec, f = (lba + 150) // 4500, (lba + 150) // 75 % 60, (lba + 150) % 75
        assert s[12:16] == bytes([int(str(m), 16), int(str(sec), 16), int(str(f), 16), 1])
        assert s[16:2064] == isob[lba * 2048:(lba + 1) * 2048]
    back = tmp_path / "back.iso"
    dimg.ok("convert", cue, back)
    assert back.read_bytes() == isob


def test_iso_to_cue_chdman_round_trip(dimg, tmp_path):
    chdman = tl.require_tool("chdman")
    iso = ch.sample_iso(tmp_path)
    cue = tmp_path / "d.cue"
    dimg.ok("convert", iso, cue)
    tl.run([chdman, "createcd", "-i", cue, "-o", tmp_path / "d.chd"], timeout=300)
    tl.run([chdman, "extractcd", "-i", tmp_path / "d.chd", "-o", tmp_path / "x.cue",
            "-ob", tmp_path / "x.bin"], timeout=300)
    assert (tmp_path / "x.bin").read_bytes() == (tmp_path / "d.bin").read_bytes()
    back = tmp_path / "back.iso"
    dimg.ok("convert", tmp_path / "x.cue", back)
    assert back.read_bytes() == iso.read_bytes()


def test_iso_to_cue_cd_info_track_table(dimg, tmp_path):
    cdinfo = tl.require_tool("cd-info")
    iso = ch.sample_iso(tmp_path)
    cue = tmp_path / "d.cue"
    dimg.ok("convert", iso, cue)
    out = tl.run([cdinfo, "--no-cddb", "--no-device-info", "-q", "--cue-file", cue]).stdout.decode()
    n = iso.stat().st_size // 2048
    assert "  1: 00:02:00  000000 data" in out, out
    assert f"170: {ch.msf(n + 150)}  {n:06d} leadout" in out, out


# ---- the mixed-mode disc ------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["single", "split"])
def test_mixed_info_track_table(dimg, mixed, layout):
    info = dimg.info(getattr(mixed, layout))
    assert tracks_of(info) == mixed.expected_table()
    assert info["disc"]["type"] == "mixed"
    t2 = info["sessions"][0]["tracks"][1]
    assert [i["number"] for i in t2["indexes"]] == [0, 1]
    assert t2["indexes"][0]["lba"] == t2["start"] - 150
    # the data track's file system is readable through the cue
    ls = dimg.ls(getattr(mixed, layout))
    assert any(e["path"].endswith("README.txt") for e in ls), ls


def test_mixed_cd_info_agrees(dimg, mixed):
    cdinfo = tl.require_tool("cd-info")
    out = tl.run([cdinfo, "--no-cddb", "--no-device-info", "-q", "--cue-file",
                  mixed.single]).stdout.decode()
    for t in mixed.expected_table():
        kind = "data" if t["mode"] != "AUDIO" else "audio"
        assert f"{t['number']:>3}: {ch.msf(t['start'] + 150)}  {t['start']:06d} {kind}" in out, out


def test_single_to_split_and_back(dimg, mixed, tmp_path):
    out = tmp_path / "s" / "x.cue"
    out.parent.mkdir()
    dimg.ok("convert", "--split", mixed.single, out)
    for n in range(1, len(mixed.tracks) + 1):
        got = (out.parent / f"x (Track {n:02d}).bin").read_bytes()
        want = (mixed.split.parent / f"mixed (Track {n:02d}).bin").read_bytes()
        assert got == want, f"track {n}"
    back = tmp_path / "b" / "mixed.cue"
    back.parent.mkdir()
    dimg.ok("convert", out, back)
    assert (back.parent / "mixed.bin").read_bytes() == (mixed.single.parent / "mixed.bin").read_bytes()
    assert back.read_text() == mixed.single.read_text()


@pytest.mark.parametrize("via", ["toc", "ccd"])
def test_mixed_round_trip_via(dimg, mixed, tmp_path, via):
    mid = tmp_path / "m" / f"mixed.{via}"
    mid.parent.mkdir()
    dimg.ok("convert", mixed.single, mid)
    assert tracks_of(dimg.info(mid)) == mixed.expected_table()
    back = tmp_path / "b" / "mixed.cue"
    back.parent.mkdir()
    dimg.ok("convert", mid, back)
    assert (back.parent / "mixed.bin").read_bytes() == (mixed.single.parent / "mixed.bin").read_bytes()
    assert back.read_text() == mixed.single.read_text()


def test_mixed_split_round_trip_via_toc(dimg, mixed, tmp_path):
    mid = tmp_path / "m" / "mixed.toc"
    mid.parent.mkdir()
    dimg.ok("convert", mixed.split, mid)
    back = tmp_path / "b" / "mixed.cue"
    back.parent.mkdir()
    dimg.ok("convert", "--split", mid, back)
    for n in range(1, len(mixed.tracks) + 1):
        assert ((back.parent / f"mixed (Track {n:02d}).bin").read_bytes() ==
                (mixed.split.parent / f"mixed (Track {n:02d}).bin").read_bytes())
    assert back.read_text() == mixed.split.read_text()


@pytest.mark.parametrize("pregap", [False, True])
def test_audio_track_to_wav(dimg, mixed, tmp_path, pregap):
    for n in (2, 3):
        wav = tmp_path / f"t{n}.wav"
        args = ["convert", "--track", n] + (["--with-pregap"] if pregap else []) + [mixed.single, wav]
        dimg.ok(*args)
        want = mixed.audio[n - 2]
        if pregap:
            want = b"\0" * (150 * RAW) + want
        assert ch.wav_pcm(wav) == want
        raw = tmp_path / f"t{n}.raw"
        dimg.ok("convert", "--to", "raw", "--track", n, mixed.split, raw)
        assert raw.read_bytes() == mixed.audio[n - 2]


def test_bchunk_agrees(dimg, mixed, tmp_path):
    bchunk = tl.require_tool("bchunk")
    tl.run([bchunk, "-w", mixed.single.parent / "mixed.bin", mixed.single, tmp_path / "bc"])
    iso = tmp_path / "d.iso"
    dimg.ok("convert", "--lossy", mixed.single, iso)
    assert (tmp_path / "bc01.iso").read_bytes() == iso.read_bytes() == mixed.iso
    for n in (2, 3):
        wav = tmp_path / f"t{n}.wav"
        dimg.ok("convert", "--track", n, mixed.single, wav)
        assert ch.wav_pcm(tmp_path / f"bc{n:02d}.wav") == ch.wav_pcm(wav)


def test_chdman_mixed_round_trip(dimg, mixed, tmp_path):
    chdman = tl.require_tool("chdman")
    tl.run([chdman, "createcd", "-i", mixed.single, "-o", tmp_path / "m.chd"], timeout=300)
    tl.run([chdman, "extractcd", "-i", tmp_path / "m.chd", "-o", tmp_path / "x.cue",
            "-ob", tmp_path / "x.bin"], timeout=300)
    assert (tmp_path / "x.bin").read_bytes() == (mixed.single.parent / "mixed.bin").read_bytes()
    assert tracks_of(dimg.info(tmp_path / "x.cue")) == mixed.expected_table()


def test_iso_refused_without_lossy_lists_losses(dimg, mixed, tmp_path):
    r = dimg.run("convert", mixed.single, tmp_path / "x.iso")
    assert r.returncode == 1
    assert "track 2 (AUDIO)" in r.err and "--lossy" in r.err, r.err
    assert not (tmp_path / "x.iso").exists()
    assert not [p for p in tmp_path.iterdir()], list(tmp_path.iterdir())


def test_existing_output_refused(dimg, mixed, tmp_path):
    out = tmp_path / "o.cue"
    (tmp_path / "o.bin").write_bytes(b"keep")
    r = dimg.run("convert", mixed.single, out)
    assert r.returncode == 1 and "already exists" in r.err
    assert (tmp_path / "o.bin").read_bytes() == b"keep" and not out.exists()
    dimg.ok("convert", "--force", mixed.single, out)
    assert (tmp_path / "o.bin").stat().st_size == (mixed.single.parent / "mixed.bin").stat().st_size


@pytest.mark.parametrize("out", ["o.cue", "o.iso"])
def test_write_failure_is_reported_and_leaves_nothing(dimg, mixed, tmp_path, out):
    """A write that fails part-way (here: the file size limit, EFBIG) names the
    output, exits 1 and removes every temporary file."""
    import resource
    import signal
    import subprocess

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # stays ignored across exec
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    d = tmp_path / "o"
    d.mkdir()
    args = ["convert"] + (["--lossy"] if out.endswith(".iso") else [])
    cp = subprocess.run([str(dimg.path)] + args + [str(mixed.single), str(d / out)],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit,
                        timeout=60)
    err = cp.stderr.decode()
    assert cp.returncode == 1, err
    assert "write failed" in err and "o." in err, err
    assert not list(d.iterdir()), list(d.iterdir())


# ---- verify -----------------------------------------------------------------------------------

@pytest.mark.parametrize("where,field", [(100, 500), (37, 2070), (150, 13), (0, 3)])
def test_verify_flipped_byte(dimg, mixed, tmp_path, where, field):
    d = tmp_path / "c"
    d.mkdir()
    cue = d / "mixed.cue"
    cue.write_text(mixed.single.read_text())
    b = bytearray((mixed.single.parent / "mixed.bin").read_bytes())
    b[where * RAW + field] ^= 0x40
    (d / "mixed.bin").write_bytes(bytes(b))
    r = dimg.run("verify", "--json", cue)
    assert r.returncode == 2, r.describe()
    rep = json.loads(r.stdout)
    assert rep["status"] == "corrupt"
    bad = [e for e in rep["errors"] if isinstance(e, dict)]
    assert [e["lba"] for e in bad] == [where], bad
    want = {500: "edc", 2070: "zero", 13: "msf", 3: "sync"}[field]
    assert want in bad[0]["problems"], bad
    t = dimg.run("verify", cue)
    assert t.returncode == 2 and f"LBA {where} " in t.out, t.out


def test_verify_good_mixed(dimg, mixed):
    for cue in (mixed.single, mixed.split):
        r = dimg.run("verify", "--json", cue)
        assert r.returncode == 0, r.describe()
        rep = json.loads(r.stdout)
        assert rep["raw_sectors_checked"] == len(mixed.data) // RAW
        assert rep["filesystem"]["format"] == "iso9660"


def test_verify_unreadable_is_exit_1(dimg, tmp_path):
    cue = tmp_path / "x.cue"
    cue.write_text('FILE "missing.bin" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n')
    r = dimg.run("verify", cue)
    assert r.returncode == 1 and "missing.bin" in r.err, r.describe()


# ---- hash -------------------------------------------------------------------------------------

def test_hash_per_track_matches_track_files(dimg, mixed):
    rep = dimg.json("hash", "--json", "--per-track", "--algo", "crc32,md5,sha1,sha256", mixed.single)
    assert len(rep["tracks"]) == 3
    whole = b""
    for t in rep["tracks"]:
        data = (mixed.split.parent / f"mixed (Track {t['number']:02d}).bin").read_bytes()
        whole += data
        assert t["size"] == len(data)
        assert t["sha1"] == hashlib.sha1(data).hexdigest()
        assert t["md5"] == hashlib.md5(data).hexdigest()
        assert t["sha256"] == hashlib.sha256(data).hexdigest()
        assert t["crc32"] == f"{zlib.crc32(data):08x}"
    assert rep["crc32"] == f"{zlib.crc32(whole):08x}" and rep["size"] == len(whole)


def test_hash_whole_image_equals_file_hash(dimg, mixed, tmp_path):
    data = (mixed.single.parent / "mixed.bin").read_bytes()
    for img in (mixed.single, mixed.split):
        rep = dimg.json("hash", "--json", img)
        assert rep["sha1"] == hashlib.sha1(data).hexdigest()
        assert rep["md5"] == hashlib.md5(data).hexdigest()
        assert rep["crc32"] == f"{zlib.crc32(data):08x}"
    iso = ch.sample_iso(tmp_path)
    rep = dimg.json("hash", "--json", "--algo", "sha256", iso)
    assert rep["sha256"] == hashlib.sha256(iso.read_bytes()).hexdigest() and "md5" not in rep


@pytest.mark.parametrize("size", [5000, 9 * 1024 * 1024 + 1])
def test_hash_plain_image_of_any_size(dimg, tmp_path, size):
    """Not a CD (not whole 2048-byte sectors, or a disk image): its bytes."""
    img = tmp_path / "disk.img"
    data = os.urandom(size)
    img.write_bytes(data)
    rep = json.loads(dimg.ok("hash", "--json", "--algo", "crc32,md5,sha1,sha256", img).stdout)
    assert rep["size"] == size
    assert rep["crc32"] == "%08x" % zlib.crc32(data)
    assert rep["md5"] == hashlib.md5(data).hexdigest()
    assert rep["sha1"] == hashlib.sha1(data).hexdigest()
    assert rep["sha256"] == hashlib.sha256(data).hexdigest()
    r = dimg.run("hash", "--per-track", img)
    assert r.returncode == 1 and "--per-track needs a CD image" in r.err, r.err


def test_hash_bad_algo_is_usage_error(dimg, mixed):
    r = dimg.run("hash", "--algo", "md4", mixed.single)
    assert r.returncode == 2 and "md4" in r.err


# ---- cue sheet variants -----------------------------------------------------------------------

def test_case_insensitive_file_match(dimg, mixed, tmp_path):
    (tmp_path / "MIXED.BIN").write_bytes((mixed.single.parent / "mixed.bin").read_bytes())
    cue = tmp_path / "x.cue"
    cue.write_text(mixed.single.read_text())  # names "mixed.bin"
    assert tracks_of(dimg.info(cue)) == mixed.expected_table()


def test_pregap_postgap_generated(dimg, mixed, tmp_path):
    """PREGAP/POSTGAP sectors are not in the file: they are generated and survive a rewrite."""
    data = mixed.data
    (tmp_path / "d.bin").write_bytes(data + mixed.audio[0])
    n = len(data) // RAW
    cue = tmp_path / "g.cue"
    cue.write_text('REM GENRE Test\nREM DATE 2026\nCATALOG 0123456789012\nTITLE "Disc"\n'
                   'FILE "d.bin" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n'
                   '    POSTGAP 00:02:00\n  TRACK 02 AUDIO\n    TITLE "Song"\n    PERFORMER "Me"\n'
                   '    FLAGS DCP PRE\n    ISRC USABC2600001\n    PREGAP 00:01:00\n'
                   f'    INDEX 01 {ch.msf(n)}\n')
    info = dimg.info(cue)
    t = info["sessions"][0]["tracks"]
    assert t[0]["length"] == n + 150 and t[0]["postgap"] == 150
    assert t[1]["start"] == n + 150 + 75 and t[1]["pregap"] == 75
    assert t[1]["flags"] == ["DCP", "PRE"] and t[1]["isrc"] == "USABC2600001"
    assert t[1]["cdtext"] == {"TITLE": "Song", "PERFORMER": "Me"}
    assert info["disc"]["catalog"] == "0123456789012"
    out = tmp_path / "o" / "g.cue"
    out.parent.mkdir()
    dimg.ok("convert", cue, out)
    assert out.read_text() == cue.read_text().replace('"d.bin"', '"g.bin"')
    assert (out.parent / "g.bin").read_bytes() == (tmp_path / "d.bin").read_bytes()
    assert dimg.run("verify", out).returncode == 0


def test_wave_and_motorola_files(dimg, mixed, tmp_path):
    pcm = mixed.audio[0]
    wav = tmp_path / "a.wav"
    import struct
    hdr = (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " +
           struct.pack("<IHHIIHH", 16, 1, 2, 44100, 176400, 4, 16) + b"data" +
           struct.pack("<I", len(pcm)))
    wav.write_bytes(hdr + pcm)
    swapped = bytearray(pcm)
    swapped[0::2], swapped[1::2] = pcm[1::2], pcm[0::2]
    (tmp_path / "a.be").write_bytes(bytes(swapped))
    cue = tmp_path / "w.cue"
    cue.write_text('FILE "a.wav" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n'
                   'FILE "a.be" MOTOROLA\n  TRACK 02 AUDIO\n    INDEX 01 00:00:00\n')
    for n in (1, 2):
        out = tmp_path / f"o{n}.raw"
        dimg.ok("convert", "--to", "raw", "--track", n, cue, out)
        assert out.read_bytes() == pcm
    # per-track hashes are over the bytes a BIN holds: little-endian PCM either way
    h = dimg.json("hash", "--json", "--per-track", "--algo", "sha1", cue)
    assert [t["sha1"] for t in h["tracks"]] == [ch.sha1(pcm)] * 2


def test_aiff_files_written_by_sox(dimg, mixed, tmp_path):
    """AIFF and AIFC (uncompressed) as sox writes them: big-endian PCM after COMM/SSND (and
    sox's COMT/FVER chunks); the audio read back is the little-endian PCM they were made of."""
    import subprocess
    sox = tl.require_tool("sox")
    pcm = mixed.audio[0]
    (tmp_path / "a.pcm").write_bytes(pcm)
    for name in ("a.aiff", "a.aifc"):
        subprocess.run([sox, "-t", "raw", "-r", "44100", "-e", "signed", "-b", "16", "-c", "2",
                        "-L", str(tmp_path / "a.pcm"), str(tmp_path / name)], check=True)
    cue = tmp_path / "a.cue"
    cue.write_text('FILE "a.aiff" AIFF\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n'
                   'FILE "a.aifc" AIFF\n  TRACK 02 AUDIO\n    INDEX 01 00:00:00\n')
    for n in (1, 2):
        out = tmp_path / f"o{n}.raw"
        dimg.ok("convert", "--to", "raw", "--track", n, cue, out)
        assert out.read_bytes() == pcm
    dimg.ok("convert", cue, tmp_path / "one.cue")
    assert (tmp_path / "one.bin").read_bytes() == pcm + pcm
    assert dimg.run("verify", cue).returncode == 0
    # not CD audio: a clear error naming the file
    subprocess.run([sox, "-n", "-r", "22050", "-c", "1", "-b", "8", str(tmp_path / "m.aiff"),
                    "synth", "1", "sine", "440"], check=True)
    bad = tmp_path / "b.cue"
    bad.write_text('FILE "m.aiff" AIFF\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n')
    r = dimg.run("info", bad)
    assert r.returncode == 1 and "m.aiff" in r.err and "not 16-bit stereo" in r.err, r.err


def test_second_session_data_track(dimg, mixed, tmp_path):
    """An Enhanced-CD-like disc: session 1 holds the mixed disc, session 2 a data track whose
    ISO 9660 (made by genisoimage -C) addresses the disc's absolute LBAs, 11250 sectors
    (lead-out + lead-in) after session 1.  The newest data track is the default; --track picks
    another."""
    genisoimage = tl.require_tool("genisoimage")
    src = tmp_path / "src"
    src.mkdir()
    (src / "two.txt").write_text("second session\n")
    leadout = mixed.expected_table()[-1]["start"] + mixed.expected_table()[-1]["length"]
    start = leadout + 11250
    tl.run([genisoimage, "-quiet", "-R", "-C", f"0,{start}", "-o", tmp_path / "s2.iso", src])
    (tmp_path / "d.bin").write_bytes((mixed.single.parent / "mixed.bin").read_bytes())
    cue = tmp_path / "x.cue"
    cue.write_text(mixed.single.read_text().replace('"mixed.bin"', '"d.bin"') +
                   'FILE "s2.iso" BINARY\n  REM SESSION 02\n  TRACK 04 MODE1/2048\n'
                   '    INDEX 01 00:00:00\n')
    info = dimg.info(cue)
    assert [s["number"] for s in info["sessions"]] == [1, 2]
    assert info["sessions"][1]["tracks"][0]["start"] == start
    assert dimg.ok("cat", cue, "/two.txt").out == "second session\n"
    assert "README.txt" in dimg.ok("ls", "--track", "1", cue).out
    r = dimg.run("ls", "--track", "2", cue)
    assert r.returncode == 1 and "audio track" in r.err
    assert dimg.run("verify", cue).returncode == 0
    # the session survives a rewrite
    out = tmp_path / "o" / "x.cue"
    out.parent.mkdir()
    dimg.ok("convert", "--split", cue, out)
    assert dimg.info(out)["sessions"][1]["tracks"][0]["start"] == start
    assert dimg.ok("cat", out, "/two.txt").out == "second session\n"


def test_sheet_naming_fifo_or_device_is_refused(dimg, tmp_path):
    """A FILE that is a FIFO or a device would block or never end: refused before opening."""
    os.mkfifo(tmp_path / "f.bin")
    (tmp_path / "z.bin").symlink_to("/dev/zero")
    for name in ("f.bin", "F.BIN", "z.bin"):
        cue = tmp_path / "x.cue"
        cue.write_text(f'FILE "{name}" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n')
        r = dimg.run("info", cue, timeout=10)
        assert r.returncode == 1 and "not a regular file" in r.err, r.describe()


def test_bare_bin_without_sheet(dimg, mixed, tmp_path):
    """Raw sectors with a data sync at 0 and no sheet: a one-track disc of their mode."""
    b = tmp_path / "data.bin"
    b.write_bytes(mixed.data)
    info = dimg.info(b)
    assert info["container"] == "bin"
    assert tracks_of(info) == [{"number": 1, "mode": "MODE1/2352", "start": 0, "pregap": 0,
                                "length": len(mixed.data) // RAW}]
    assert "README.txt" in dimg.ok("ls", b).out
    assert dimg.run("verify", b).returncode == 0
    iso = tmp_path / "d.iso"
    dimg.ok("convert", b, iso)
    assert iso.read_bytes() == mixed.iso


@pytest.mark.hostile
@pytest.mark.parametrize("ext,text,want", [
    ("toc", 'CD_ROM\nTRACK MODE1_RAW\nFILE "../x.bin" 0\n', "leaves"),
    ("toc", 'CD_ROM\nTRACK MODE1_RAW\nFILE "d.bin" 0 99:00:00\n', "has only|needs|bytes"),
    ("toc", 'CD_ROM\nTRACK MODE1_RAW\nFILE "d.bin 0\n', "unterminated|string"),
    ("toc", 'CD_ROM\n' + 'TRACK AUDIO\nSILENCE 0:0:1\n' * 100, "99|tracks"),
    ("ccd", "[CloneCD]\nVersion=3\n[Disc]\nTocEntries=999999999\nSessions=1\n", ""),
    ("ccd", "[CloneCD]\nVersion=3\n[Disc]\nTocEntries=1\nSessions=1\n[Entry 0]\nSession=1\n"
            "Point=0x01\nPLBA=99999999\n", ""),
])
def test_hostile_toc_ccd(dimg, tmp_path, ext, text, want):
    (tmp_path / "d.bin").write_bytes(b"\0" * RAW * 10)
    (tmp_path / "x.img").write_bytes(b"\0" * RAW * 10)
    sheet = tmp_path / f"x.{ext}"
    sheet.write_text(text)
    for cmd in ("info", "verify", "hash"):
        r = dimg.run(cmd, sheet, timeout=20)
        assert r.returncode == 1, r.describe()
        assert r.err.startswith("dimg: ") and len(r.err.splitlines()) == 1, r.err
        if want:
            import re
            assert re.search(want, r.err), r.err
