"""Cue sheets whose audio FILE is FLAC (the "image + cue" rips EAC and others write as
`FILE "x.flac" WAVE`).  dimg decodes them with libFLAC into the PCM a BIN would hold.

Oracles: the PCM the FLAC files were made from (sox), the flac tool's own decoder (`flac -d`),
and the same disc described with that PCM as a BINARY file."""

import hashlib
import random
import json
from pathlib import Path

import pytest

import cd_helpers as ch
import dimg_testlib as tl
from test_mount import FuseMount, fuse  # noqa: F401  (fuse: fixture)

RAW = ch.RAW
SHEET = ('FILE "{name}" {kind}\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n'
         '  TRACK 02 AUDIO\n    INDEX 00 00:03:00\n    INDEX 01 00:04:00\n'
         '  TRACK 03 AUDIO\n    INDEX 01 00:06:10\n')


def flac_encode(pcm: Path, out: Path, *args):
    tool = tl.require_tool("flac")
    tl.run([tool, "-s", "-f", "--force-raw-format", "--endian=little", "--sign=signed",
            "--channels=2", "--bps=16", "--sample-rate=44100", *args, "-o", out, pcm])


@pytest.fixture(scope="module")
def disc(dimg, tmp_path_factory):
    d = tmp_path_factory.mktemp("flac")
    pcm = ch.pcm(3.2, 440, d) + ch.pcm(3.1, 660, d) + ch.pcm(2.5, 330, d)
    (d / "disc.pcm").write_bytes(pcm)
    (d / "disc.bin").write_bytes(pcm)
    (d / "bin.cue").write_text(SHEET.format(name="disc.bin", kind="BINARY"))
    flac_encode(d / "disc.pcm", d / "disc.flac")
    (d / "flac.cue").write_text(SHEET.format(name="disc.flac", kind="WAVE"))
    return d


def test_flac_cue_reads_as_its_pcm(dimg, disc):
    assert dimg.info(disc / "flac.cue")["sessions"] == dimg.info(disc / "bin.cue")["sessions"]
    dimg.ok("convert", disc / "flac.cue", disc / "out.cue")
    assert (disc / "out.bin").read_bytes() == (disc / "disc.pcm").read_bytes()
    # the flac tool's own decoder agrees
    flac = tl.require_tool("flac")
    tl.run([flac, "-s", "-d", "-f", "--force-raw-format", "--endian=little", "--sign=signed",
            "-o", disc / "dec.pcm", disc / "disc.flac"])
    assert (disc / "dec.pcm").read_bytes() == (disc / "out.bin").read_bytes()
    a = dimg.json("hash", "--json", "--per-track", "--algo", "md5,sha1", disc / "flac.cue")
    b = dimg.json("hash", "--json", "--per-track", "--algo", "md5,sha1", disc / "bin.cue")
    assert a["tracks"] == b["tracks"]
    whole = dimg.json("hash", "--json", "--algo", "sha1", disc / "flac.cue")
    assert whole["sha1"] == hashlib.sha1((disc / "disc.pcm").read_bytes()).hexdigest()
    assert dimg.run("verify", disc / "flac.cue").returncode == 0
    dimg.ok("convert", "--track", "2", "--with-pregap", disc / "flac.cue", disc / "t2.wav")
    pcm = (disc / "disc.pcm").read_bytes()
    assert ch.wav_pcm(disc / "t2.wav") == pcm[225 * RAW:(6 * 75 + 10) * RAW]


@pytest.mark.parametrize("args", [[], ["--no-seektable"], ["-b", "192"], ["-b", "4608", "-8"]],
                         ids=["default", "no-seektable", "block192", "block4608"])
def test_flac_random_reads_through_mount(dimg, disc, tmp_path, fuse, args):  # noqa: F811
    """The WAV view of a mount reads anywhere: forwards, backwards, across frames."""
    pcm = (disc / "disc.pcm").read_bytes()
    flac_encode(disc / "disc.pcm", tmp_path / "disc.flac", *args)
    (tmp_path / "d.cue").write_text(SHEET.format(name="disc.flac", kind="WAVE"))
    want = pcm[(6 * 75 + 10) * RAW:]  # track 3
    mp = tmp_path / "mp"
    mp.mkdir()
    r = random.Random(5)
    with FuseMount(dimg, tmp_path / "d.cue", mp, "--audio"):
        wav = mp / ".audio" / "track03.wav"
        assert ch.wav_pcm(wav) == want
        hdr = len(wav.read_bytes()) - len(want)
        with open(wav, "rb", buffering=0) as f:
            for _ in range(40):
                off = r.randrange(len(want))
                n = r.randrange(1, 20000)
                f.seek(hdr + off)
                assert f.read(n) == want[off:off + n], (off, n)


def test_flac_bad_files(dimg, disc, tmp_path):
    flac = tl.require_tool("flac")
    sox = tl.require_tool("sox")
    pcm = (disc / "disc.pcm").read_bytes()
    good = (disc / "disc.flac").read_bytes()

    def sheet_for(blob: bytes, name="x.flac"):
        (tmp_path / name).write_bytes(blob)
        (tmp_path / "x.cue").write_text(SHEET.format(name=name, kind="WAVE"))
        return tmp_path / "x.cue"

    # not CD audio
    tl.run([sox, "-n", "-r", "48000", "-b", "16", "-c", "2", tmp_path / "k.flac", "synth", "9",
            "sine", "300"])
    r = dimg.run("info", sheet_for((tmp_path / "k.flac").read_bytes()))
    assert r.returncode != 0 and "48000 Hz" in r.err and "x.flac" in r.err, r.describe()
    # no stated length (encoded to a pipe, so the encoder could not go back to fill it in)
    piped = tl.run([flac, "-s", "-c", "--force-raw-format", "--endian=little", "--sign=signed",
                    "--channels=2", "--bps=16", "--sample-rate=44100", "--no-seektable", "-"],
                   input=pcm).stdout
    r = dimg.run("info", sheet_for(piped))
    assert r.returncode != 0 and "does not say how many samples" in r.err, r.describe()
    # a damaged frame in the middle: an error naming the file, no output left behind
    bad = bytearray(good)
    for i in range(len(bad) // 2, len(bad) // 2 + 64):
        bad[i] ^= 0x5A
    cue = sheet_for(bytes(bad))
    r = dimg.run("convert", cue, tmp_path / "o.cue")
    assert r.returncode != 0 and "x.flac" in r.err and "FLAC sample" in r.err, r.describe()
    assert not list(tmp_path.glob("o.*")) and not list(tmp_path.glob(".o.*"))
    # verify names the sectors that do not decode (about one frame) and checks the rest
    r = dimg.run("verify", "--json", cue)
    assert r.returncode == 2, r.describe()
    errs = json.loads(r.out)["errors"]
    lbas = [e for e in errs if isinstance(e, dict)]
    assert 1 <= len(lbas) <= 40 and all("FLAC sample" in e["problems"][0] for e in lbas)
    # and the whole-file signature check says where decoding stopped
    assert [e for e in errs if isinstance(e, str) and "x.flac: FLAC sample" in e]
    # frames that decode but do not match the STREAMINFO MD5 signature (bytes 26-41)
    sig = bytearray(good)
    sig[30] ^= 1
    r = dimg.run("verify", sheet_for(bytes(sig)))
    assert r.returncode == 2 and "do not match the file's MD5 signature" in r.out, r.describe()
    assert dimg.run("verify", sheet_for(good)).returncode == 0
    # cut short: the sheet's tracks need samples the file does not have
    r = dimg.run("convert", sheet_for(good[:len(good) // 3]), tmp_path / "p.cue")
    assert r.returncode != 0 and "x.flac" in r.err, r.describe()
    # not FLAC after the magic
    r = dimg.run("info", sheet_for(b"fLaC" + b"\0" * 100))
    assert r.returncode != 0 and "not a FLAC file" in r.err, r.describe()
