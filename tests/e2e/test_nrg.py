"""Nero NRG images written here (nrg_helpers.py, from the format's description): disc-at-once
with both footers and pregaps, track-at-once (ETN2, ETNF, TINF), two sessions, and hostile
variants.  The data tracks hold the bundled sample ISO (cooked, or raw as `dimg convert` makes
it); the audio is PCM from sox.

Oracles: the bytes and the track layout the helper wrote (what a reader must find), cd-info and
cd-read from libcdio (an independent NRG reader) for the track tables and audio bytes of the
shapes libcdio handles, chdman for cue round trips, genisoimage for a second session's ISO."""

import json
import re
import struct
from pathlib import Path
from types import SimpleNamespace

import pytest

import cd_helpers as ch
import dimg_testlib as tl
import nrg_helpers as nh
from test_mount import FuseMount, fuse  # noqa: F401  (fuse: fixture)

T = nh.Track
RAW = 2352


@pytest.fixture(scope="module")
def src(dimg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nrgsrc")
    iso = ch.sample_iso(tmp)
    dimg.ok("convert", iso, tmp / "data.cue")
    return SimpleNamespace(tmp=tmp, iso=iso.read_bytes(), raw=(tmp / "data.bin").read_bytes(),
                           a1=ch.pcm(1.0, 440, tmp), a2=ch.pcm(1.3, 660, tmp),
                           files=sorted(e["path"] for e in dimg.ls(iso)))


def table(info):
    return [(t["number"], s["number"], t["mode"], t["start"] - t["pregap"], t["start"],
             t["start"] + t["length"]) for s in info["sessions"] for t in s["tracks"]]


def mixed(src, v2=True):
    """Mode 1 raw data (with Nero's 150 pregap sectors before LBA 0), audio with an INDEX 02
    and an ISRC, audio whose pregap is not stored."""
    return nh.dao([[T("MODE1/2352", src.raw, pregap=150, ctl=nh.DATA_CTL | nh.DCP),
                    T("AUDIO", src.a1, pregap=150, isrc="USABC9912345", indexes=[20]),
                    T("AUDIO", src.a2, pregap=75, stored_pregap=0, ctl=nh.DCP | 0x1)]],
                  v2=v2, mcn="0123456789012",
                  cdtext=nh.cdtext_packs(["Disc", "One", "Two", "Three"]))


# ---- disc-at-once -------------------------------------------------------------------------------

@pytest.mark.parametrize("silent", [True, False], ids=["silent", "not-silent"])
def test_bytes_before_lba0(dimg, src, tmp_path, silent):
    """Nero stores track 1's pregap from LBA -150; the disc starts at LBA 0.  Silence there is
    nothing lost; anything else is a verify warning (exit 3) and a loss convert refuses."""
    pre = bytes(150 * RAW) if silent else bytes(range(256)) * (150 * RAW // 256) + bytes(
        150 * RAW % 256)
    blob, _ = nh.dao([[T("AUDIO", src.a1, pregap=150, pregap_data=pre)]])
    img = tmp_path / "p.nrg"
    img.write_bytes(blob)
    v = dimg.run("verify", "--json", img)
    out = tmp_path / "o"
    out.mkdir()
    c = dimg.run("convert", img, out / "p.cue")
    if silent:
        assert v.returncode == 0, v.describe()
        assert c.returncode == 0, c.describe()
        assert (out / "p.bin").read_bytes() == src.a1
        return
    assert v.returncode == 3, v.describe()
    warn = json.loads(v.stdout)["warnings"]
    assert any("before LBA 0" in w and "bytes 0-%d of p.nrg" % (150 * RAW - 1) in w
               for w in warn), warn
    assert c.returncode == 1 and "before LBA 0" in c.err and "--lossy" in c.err, c.err
    assert not list(out.iterdir())
    dimg.ok("convert", "--lossy", img, out / "p.cue")
    assert (out / "p.bin").read_bytes() == src.a1


@pytest.mark.parametrize("v2", [True, False], ids=["NER5-CUEX-DAOX", "NERO-CUES-DAOI"])
def test_dao_mixed(dimg, src, tmp_path, v2):
    blob, lay = mixed(src, v2)
    img = tmp_path / "m.nrg"
    img.write_bytes(blob)
    info = dimg.info(img)
    assert info["container"] == "nrg"
    assert table(info) == lay.tracks
    assert info["disc"]["leadout"] == lay.leadout
    assert info["disc"]["catalog"] == "0123456789012"
    assert info["disc"]["cdtext"] == {"TITLE": "Disc"}
    t = info["sessions"][0]["tracks"]
    assert [x["flags"] for x in t] == [["DCP"], ["DCP"], ["DCP", "PRE"]]
    assert t[1]["isrc"] == "USABC9912345" and "isrc" not in t[0]
    assert [(i["number"], i["lba"]) for i in t[1]["indexes"]] == \
        [(0, lay.tracks[1][3]), (1, lay.tracks[1][4]), (2, lay.tracks[1][4] + 20)]
    assert [x["cdtext"]["TITLE"] for x in t] == ["One", "Two", "Three"]
    assert sorted(e["path"] for e in dimg.ls(img)) == src.files
    assert dimg.run("verify", img).returncode == 0
    # a cue: one BIN holding every stored sector from LBA 0 on (Nero's 150 sectors before it
    # are not part of the disc; track 3's pregap is generated, in no file)
    out = tmp_path / "o" / "m.cue"
    out.parent.mkdir()
    dimg.ok("convert", img, out)
    assert (out.parent / "m.bin").read_bytes() == blob[150 * RAW:nh.chain_offset(blob)]
    assert table(dimg.info(out)) == lay.tracks
    assert "PREGAP 00:01:00" in out.read_text()
    iso = tmp_path / "o" / "m.iso"
    dimg.ok("convert", "--lossy", img, iso)
    assert iso.read_bytes() == src.iso


def test_dao_footers_agree(dimg, src, tmp_path):
    (tmp_path / "a.nrg").write_bytes(mixed(src, True)[0])
    (tmp_path / "b.nrg").write_bytes(mixed(src, False)[0])
    a, b = dimg.info(tmp_path / "a.nrg"), dimg.info(tmp_path / "b.nrg")
    assert a["sessions"] == b["sessions"]
    assert {k: v for k, v in a["disc"].items() if k != "files"} == \
        {k: v for k, v in b["disc"].items() if k != "files"}


def cd_info_table(path):
    cdinfo = tl.require_tool("cd-info")
    out = tl.run([cdinfo, "--no-header", "--no-device-info", "--no-cddb", "-q", path]).stdout
    out = out.decode(errors="replace")
    rows = [(int(m[1]), int(m[2]), m[3]) for m in
            re.finditer(r"^\s*(\d+): \d\d:\d\d:\d\d  (\d{6}) (\w+)", out, re.M) if m[1] != "170"]
    lead = re.search(r"^170: \d\d:\d\d:\d\d  (\d{6}) leadout", out, re.M)
    assert rows and lead, out
    return rows, int(lead[1])


def cd_read(path, lsn, n, out):
    cdread = tl.require_tool("cd-read")
    tl.run([cdread, "--no-header", "-m", "audio", "-i", path, "-s", str(lsn), "-n", str(n),
            "-o", out])
    return Path(out).read_bytes()


def test_dao_libcdio_oracle(dimg, src, tmp_path):
    """libcdio reads CUEX/DAOX images whose tracks have INDEX 00 and 01 only: same track
    starts and lead-out; cd-read returns the same audio bytes for every track."""
    img = tmp_path / "a.nrg"
    lay = nh.write(img, nh.dao([[T("AUDIO", src.a1, pregap=150), T("AUDIO", src.a2, pregap=150),
                                 T("AUDIO", src.a1, pregap=33)]]))
    rows, lead = cd_info_table(img)
    info = dimg.info(img)
    assert [(n, s, "audio") for n, s, *_ in rows] == \
        [(t["number"], t["start"], "audio") for t in info["sessions"][0]["tracks"]]
    assert lead == info["disc"]["leadout"] == lay.leadout
    for n, _, _, begin, start, end in lay.tracks:
        raw = tmp_path / f"t{n}.raw"
        dimg.ok("convert", "--to", "raw", "--with-pregap", "--track", n, img, raw)
        assert raw.read_bytes() == cd_read(img, begin, end - begin, tmp_path / f"r{n}")
    assert (tmp_path / "t1.raw").read_bytes() == src.a1
    # a data track first: cd-info agrees on the positions
    img = tmp_path / "m.nrg"
    lay = nh.write(img, nh.dao([[T("MODE1/2352", src.raw, pregap=150, ctl=nh.DATA_CTL),
                                 T("AUDIO", src.a1, pregap=150)]]))
    rows, lead = cd_info_table(img)
    assert [(n, s) for n, s, _ in rows] == [(t[0], t[4]) for t in lay.tracks]
    assert lead == lay.leadout == dimg.info(img)["disc"]["leadout"]


# ---- track-at-once ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["ETN2", "ETNF", "TINF"])
def test_tao(dimg, src, tmp_path, kind):
    img = tmp_path / "t.nrg"
    blob, lay = nh.tao([[T("MODE1/2048", src.iso), T("AUDIO", src.a1), T("AUDIO", src.a2)]],
                       kind=kind)
    img.write_bytes(blob)
    info = dimg.info(img)
    assert table(info) == lay.tracks
    assert lay.tracks[1][4] == len(src.iso) // 2048 + 150
    assert info["disc"]["leadout"] == lay.leadout
    assert sorted(e["path"] for e in dimg.ls(img)) == src.files
    assert dimg.run("verify", img).returncode == 0
    out = tmp_path / "o" / "t.cue"
    out.parent.mkdir()
    dimg.ok("convert", img, out)
    assert dimg.info(out)["sessions"] == info["sessions"]
    assert (out.parent / "t.bin").read_bytes() == src.iso + src.a1 + src.a2
    dimg.ok("convert", "--lossy", img, out.parent / "t.iso")
    assert (out.parent / "t.iso").read_bytes() == src.iso
    wav = out.parent / "t3.wav"
    dimg.ok("convert", "--track", "3", img, wav)
    assert ch.wav_pcm(wav) == src.a2


def test_tao_libcdio_oracle(dimg, src, tmp_path):
    img = tmp_path / "e2.nrg"
    lay = nh.write(img, nh.tao([[T("MODE1/2048", src.iso), T("AUDIO", src.a1),
                                 T("AUDIO", src.a2)]], kind="ETN2"))
    rows, lead = cd_info_table(img)
    assert rows == [(t[0], t[4], "data" if t[2].startswith("MODE") else "audio")
                    for t in lay.tracks]
    assert lead == lay.leadout == dimg.info(img)["disc"]["leadout"]
    # libcdio wants ETNF offsets = LBA * sector size: one sector size, no gaps in the file
    img = tmp_path / "ef.nrg"
    lay = nh.write(img, nh.tao([[T("AUDIO", src.a1), T("AUDIO", src.a2)]], kind="ETNF"))
    rows, lead = cd_info_table(img)
    assert [(n, s) for n, s, _ in rows] == [(t[0], t[4]) for t in lay.tracks]
    assert lead == lay.leadout
    _, _, _, _, start, end = lay.tracks[1]
    dimg.ok("convert", "--to", "raw", "--track", "2", img, tmp_path / "t2.raw")
    assert (tmp_path / "t2.raw").read_bytes() == cd_read(img, start, end - start,
                                                         tmp_path / "r2") == src.a2


@pytest.mark.parametrize("mode", ["MODE1/2352+PW", "MODE2/2352+PW"])
def test_data_track_with_subchannel(dimg, src, tmp_path, mode):
    """Nero's raw data modes with 96 bytes of raw P-W a sector (0x0F, 0x11): the data track reads
    as usual, the P-W bytes go to a CloneCD .sub and to a TOC's RW_RAW unchanged, and a cue sheet
    (no place for them) is refused without --lossy."""
    raw = src.raw  # Mode 1 sectors; in a Mode 2 track only their bytes are compared
    n = len(raw) // RAW
    pw = ch.rw_bytes(n, 3, pq=True)
    sectors = [raw[i * RAW:(i + 1) * RAW] + pw[96 * i:96 * i + 96] for i in range(n)]
    img = tmp_path / "s.nrg"
    nh.write(img, nh.tao([[T(mode, b"".join(sectors)), T("AUDIO", src.a1)]]))
    t = dimg.info(img)["sessions"][0]["tracks"]
    assert (t[0]["mode"], t[0]["subchannel"], t[0]["length"]) == (mode[:10], "RW_RAW", n)
    assert "subchannel" not in t[1]
    if mode.startswith("MODE1"):
        assert sorted(e["path"] for e in dimg.ls(img)) == src.files
        assert dimg.run("verify", img).returncode == 0
    dimg.ok("convert", img, tmp_path / "c.ccd")
    sub = (tmp_path / "c.sub").read_bytes()
    assert (tmp_path / "c.img").read_bytes()[:n * RAW] == raw
    for i in range(n):
        assert sub[96 * i:96 * i + 96] == ch.deinterleave(pw[96 * i:96 * i + 96]), i
    dimg.ok("convert", img, tmp_path / "t.toc")
    toc = (tmp_path / "t.toc").read_text()
    assert re.search(r"^TRACK MODE%s_RAW RW_RAW$" % mode[4], toc, re.M), toc
    assert (tmp_path / "t.bin").read_bytes()[:n * 2448] == b"".join(sectors)
    r = dimg.run("convert", img, tmp_path / "u.cue")
    assert r.returncode != 0 and "track 1: its subchannel data" in r.err, r.describe()


# ---- sessions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["dao", "tao"])
def test_second_session(dimg, src, tmp_path, shape):
    """An audio session, then a data session whose ISO (genisoimage -C) addresses the disc's
    LBAs: 11250 sectors of lead-out and lead-in, then a 150-sector pregap."""
    genisoimage = tl.require_tool("genisoimage")
    d = tmp_path / "s2"
    d.mkdir()
    (d / "two.txt").write_text("second session\n")
    leadout = len(src.a1) // RAW
    start = leadout + 11250 + 150
    s2 = tmp_path / "s2.iso"
    tl.run([genisoimage, "-quiet", "-R", "-C", f"0,{start}", "-o", s2, d])
    if shape == "dao":
        blob, lay = nh.dao([[T("AUDIO", src.a1, pregap=150)],
                            [T("MODE1/2048", s2.read_bytes(), pregap=150, ctl=nh.DATA_CTL)]])
    else:
        blob, lay = nh.tao([[T("AUDIO", src.a1)], [T("MODE1/2048", s2.read_bytes())]])
    img = tmp_path / "x.nrg"
    img.write_bytes(blob)
    info = dimg.info(img)
    assert info["disc"]["sessions"] == 2
    assert table(info) == lay.tracks and lay.tracks[1][4] == start
    assert dimg.ok("cat", img, "/two.txt").out == "second session\n"
    assert dimg.run("verify", img).returncode == 0
    out = tmp_path / "o" / "x.cue"
    out.parent.mkdir()
    dimg.ok("convert", img, out)
    assert "REM SESSION 02" in out.read_text()
    assert table(dimg.info(out)) == lay.tracks
    assert dimg.ok("cat", out, "/two.txt").out == "second session\n"


# ---- other outputs, mount, probing --------------------------------------------------------------

def test_convert_to_toc_ccd_wav(dimg, src, tmp_path):
    img = tmp_path / "m.nrg"
    blob, lay = mixed(src)
    img.write_bytes(blob)
    for fmt in ("toc", "ccd"):
        out = tmp_path / fmt / f"m.{fmt}"
        out.parent.mkdir()
        dimg.ok("convert", img, out)
        assert table(dimg.info(out)) == lay.tracks, fmt
        assert dimg.run("verify", out).returncode == 0
    wav = tmp_path / "t2.wav"
    dimg.ok("convert", "--track", "2", img, wav)
    assert ch.wav_pcm(wav) == src.a1


def test_chdman_round_trip(dimg, src, tmp_path):
    chdman = tl.require_tool("chdman")
    img = tmp_path / "t.nrg"
    img.write_bytes(nh.tao([[T("MODE1/2048", src.iso), T("AUDIO", src.a1)]], kind="ETN2")[0])
    cue = tmp_path / "d.cue"
    dimg.ok("convert", img, cue)
    tl.run([chdman, "createcd", "-i", cue, "-o", tmp_path / "d.chd"], timeout=300)
    tl.run([chdman, "extractcd", "-i", tmp_path / "d.chd", "-o", tmp_path / "x.cue",
            "-ob", tmp_path / "x.bin"], timeout=300)
    assert (tmp_path / "x.bin").read_bytes() == (tmp_path / "d.bin").read_bytes()


def test_mount(dimg, src, tmp_path, fuse):  # noqa: F811
    img = tmp_path / "t.nrg"
    img.write_bytes(nh.tao([[T("MODE1/2048", src.iso), T("AUDIO", src.a1)]], kind="ETNF")[0])
    ex = tmp_path / "ex"
    dimg.extract(img, ex)
    mp = tmp_path / "mp"
    mp.mkdir()
    with FuseMount(dimg, img, mp, "--audio"):
        got = sorted(str(p.relative_to(mp)) for p in mp.rglob("*") if ".audio" not in p.parts)
        assert got == src.files
        for p in (ex).rglob("*"):
            if p.is_file() and not p.is_symlink():
                assert (mp / p.relative_to(ex)).read_bytes() == p.read_bytes()
        assert ch.wav_pcm(mp / ".audio" / "track02.wav") == src.a1


@pytest.mark.parametrize("name", ["x.iso", "x.bin", "x.img", "noext"])
def test_probe_by_footer(dimg, src, tmp_path, name):
    """The footer decides, not the name: a TAO image whose first track is an ISO (which the
    ISO driver would also claim) and a DAO one."""
    for blob in (nh.tao([[T("MODE1/2048", src.iso)]])[0], mixed(src)[0]):
        p = tmp_path / name
        p.write_bytes(blob)
        assert dimg.info(p)["container"] == "nrg"


def test_damaged_footer_named_nrg(dimg, src, tmp_path):
    p = tmp_path / "x.nrg"
    p.write_bytes(mixed(src)[0][:-5])
    r = dimg.run("info", p)
    assert r.returncode == 1 and "no NRG footer" in r.err, r.describe()


# ---- hostile ------------------------------------------------------------------------------------

def small_dao():
    au = bytes(range(256)) * (RAW * 4 // 256)
    return nh.dao([[T("AUDIO", au[:RAW * 3], pregap=2), T("AUDIO", au[:RAW * 2], pregap=1)]],
                  first_lba=-2)[0]


def small_tao():
    return nh.tao([[T("MODE1/2048", b"\0" * 2048 * 3), T("MODE1/2048", b"\1" * 2048 * 2)]])[0]


def patch(blob, off, data):
    b = bytearray(blob)
    b[off:off + len(data)] = data
    return bytes(b)


def set_len(blob, cid, n):
    return patch(blob, nh.find_chunk(blob, cid) + 4, struct.pack(">I", n))


def with_chunk(blob, data):
    """blob with data inserted before END! (a v2 footer)."""
    end = nh.find_chunk(blob, b"END!")
    return blob[:end] + data + blob[end:-12] + nh.footer(nh.chain_offset(blob), True)


def replace_chunk(blob, cid, data):
    """blob with the first cid chunk's data replaced (the chunks before it keep their place, so
    the footer stays right)."""
    at = nh.find_chunk(blob, cid)
    n = struct.unpack(">I", blob[at + 4:at + 8])[0]
    return blob[:at] + nh.chunk(cid, data) + blob[at + 8 + n:]


def dao_track2(blob, p, s, e):
    at = nh.find_chunk(blob, b"DAOX") + 8 + 22 + 42 + 18
    return patch(blob, at, struct.pack(">QQQ", p, s, e))


HOSTILE = {
    "truncated_footer": (lambda: small_dao()[:-5], "no NRG footer"),
    "footer_past_eof": (lambda: small_dao()[:-8] + struct.pack(">Q", 1 << 40),
                        "not before the footer"),
    "chunk_past_eof": (lambda: set_len(small_dao(), b"DAOX", 0x7FFFFFF0), "run past the footer"),
    "garbage_chain": (lambda: patch(small_dao(), nh.find_chunk(small_dao(), b"DAOX"), b"\x01\x02"),
                      "not a chunk id"),
    "chain_over_1mib": (lambda: with_chunk(small_dao(), nh.chunk(b"AFNM", b"\0" * (1 << 20))),
                        "more than 1048576"),
    "dao_99_tracks": (lambda: patch(small_dao(), nh.find_chunk(small_dao(), b"DAOX") + 8 + 21,
                                    b"\x63"), "for 99 tracks"),
    "dao_zero_tracks": (lambda: patch(small_dao(), nh.find_chunk(small_dao(), b"DAOX") + 8 + 21,
                                      b"\x00"), r"tracks 1\.\.0"),
    "tao_zero_tracks": (lambda: replace_chunk(small_tao(), b"ETN2", b""), "no tracks"),
    "tao_100_tracks": (lambda: nh.tao([[T("MODE1/2048", b"\0" * 2048)] * 100])[0],
                       "more than 99 tracks"),
    # 100000 cue points (800 KB): refused at the first one out of order
    "cue_points_100k": (lambda: replace_chunk(small_dao(), b"CUEX", (
        bytes([0x01, 0x01, 0x01, 0]) + struct.pack(">i", 0) +
        (bytes([0x01, 0x01, 0x02, 0]) + struct.pack(">i", 5)) * 100000)), "comes after"),
    "no_track_table": (lambda: nh.chunk(b"SINF", struct.pack(">I", 1)) + nh.chunk(b"END!", b"") +
                       nh.footer(0, True), "no track table"),
    "overlap": (lambda: dao_track2(small_dao(), 3 * RAW, 4 * RAW, 6 * RAW), "overlap"),
    "beyond_data": (lambda: dao_track2(small_dao(), 6 * RAW, 7 * RAW, 9 * RAW),
                    "beyond the sector data"),
    "offset_2_64": (lambda: patch(small_tao(), nh.find_chunk(small_tao(), b"ETN2") + 8,
                                  b"\xff" * 8), "beyond the sector data"),
    "cue_disagrees": (lambda: dao_track2(small_dao(), 5 * RAW, 6 * RAW, 7 * RAW),
                      "the cue points give 2"),
    "data_with_subchannel": (lambda: patch(small_tao(), nh.find_chunk(small_tao(), b"ETN2") + 8
                                           + 16, struct.pack(">I", 0x11)),
                             "not a whole number of 2448-byte sectors"),
    "dvd": (lambda: patch(small_tao(), nh.find_chunk(small_tao(), b"MTYP") + 8,
                          struct.pack(">I", 4)), "not a CD"),
}


@pytest.mark.hostile
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_nrg(dimg, tmp_path, name):
    make, want = HOSTILE[name]
    img = tmp_path / "x.nrg"
    img.write_bytes(make())
    for cmd in (["info"], ["verify"], ["ls"], ["hash"], ["cat"]):
        args = cmd + [img] + (["/x"] if cmd == ["cat"] else [])
        r = dimg.run(*args, timeout=20)
        assert r.returncode == 1, r.describe()
        assert r.err.startswith("dimg: ") and re.search(want, r.err), r.err
    out = tmp_path / "o"
    out.mkdir()
    r = dimg.run("convert", img, out / "x.cue", timeout=20)
    assert r.returncode == 1 and not list(out.iterdir())
