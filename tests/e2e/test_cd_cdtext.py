"""CD-TEXT: every block (language), double-byte MS-JIS text, lossless conversions.

Oracles: libcdio's three .cdt files and the listings libcdio printed for them (the .right files
in ../shared/corpus, or $DIMG_CORPUS; skipped when absent); packs built by cdtext_helpers.py
from the specification (not by dimg) with Japanese text encoded by Python's shift_jis / cp932
codecs; libcdio's cd-info reading CD-TEXT files dimg wrote; cdrdao parsing TOC files dimg wrote.
"""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

import cdtext_helpers as ch
import dimg_testlib as tl
import nrg_helpers as nh

CORPUS = Path(os.environ.get("DIMG_CORPUS", tl.REPO.parent / "shared" / "corpus"))
RAW = 2352
TRACK = 75  # sectors per track of the silent test discs


def silent_cue(d: Path, ntracks: int, cdt: str = None, name="a") -> Path:
    """ntracks audio tracks of one second of silence in one BIN, optionally a CDTEXTFILE."""
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.bin").write_bytes(bytes(RAW * TRACK * ntracks))
    lines = [f'CDTEXTFILE "{cdt}"'] if cdt else []
    lines.append(f'FILE "{name}.bin" BINARY')
    for t in range(ntracks):
        s = t * TRACK
        lines += [f"  TRACK {t + 1:02d} AUDIO",
                  f"    INDEX 01 {s // 4500:02d}:{s // 75 % 60:02d}:{s % 75:02d}"]
    cue = d / f"{name}.cue"
    cue.write_text("\n".join(lines) + "\n")
    return cue


def conv(dimg, *args, ok=True):
    """dimg convert [opts] SRC DST, DST's folder made first."""
    Path(args[-1]).parent.mkdir(parents=True, exist_ok=True)
    return dimg.ok("convert", *args) if ok else dimg.run("convert", *args)


def blocks(dimg, img, **kw):
    return ch.dimg_blocks(dimg.info(img), **kw)


def text_only(bl):
    """Blocks without the attributes a text form may change."""
    return {n: {"disc": b["disc"], "tracks": b["tracks"], "language": b["language"],
                "genre_code": b["genre_code"]} for n, b in bl.items()}


# ---- libcdio's .cdt files against libcdio's listings ---------------------------------------

CDT_FILES = [("cdtext", 3), ("cdtext-libburnia", 3), ("cdtext-krosis", 10)]


@pytest.fixture(scope="module")
def cdio(tmp_path_factory):
    src = CORPUS / "libcdio"
    if not src.is_dir():
        pytest.skip(f"external corpus not found at {CORPUS} (set DIMG_CORPUS)")
    d = tmp_path_factory.mktemp("cdio-cdt")
    for name, _ in CDT_FILES:
        (d / f"{name}.cdt").write_bytes(tl.run(["xz", "-dc", src / f"{name}.cdt.xz"]).stdout)
    return d


@pytest.mark.corpus
@pytest.mark.parametrize("name,ntracks", CDT_FILES)
def test_right_files(dimg, cdio, tmp_path, name, ntracks):
    """Every block's text, language and genre code is what libcdio printed (CLOSED, pack 0x8D,
    is not shown by libcdio); block 0 is also the disc's and tracks' `cdtext`."""
    shutil.copy(cdio / f"{name}.cdt", tmp_path / "t.cdt")
    cue = silent_cue(tmp_path, ntracks, "t.cdt")
    info = dimg.info(cue)
    right = ch.parse_right((CORPUS / "libcdio" / "right" / f"{name}.right").read_text())
    got = ch.dimg_blocks(info)
    assert got == right
    b0 = info["disc"]["cdtext_blocks"][0]
    assert {k: v for k, v in info["disc"]["cdtext"].items()} == b0["disc"]
    for t in info["sessions"][0]["tracks"]:
        want = next((x["cdtext"] for x in b0.get("tracks", []) if x["number"] == t["number"]),
                    None)
        assert t.get("cdtext") == want
    if name != "cdtext-krosis":
        assert len(got) == 2 and got[1]["language"] == "German"


@pytest.mark.corpus
@pytest.mark.parametrize("name,ntracks", CDT_FILES)
def test_right_files_round_trips(dimg, cdio, tmp_path, name, ntracks):
    """cue+cdt -> ccd -> cue gives back the packs byte for byte; cue+cdt -> toc -> cue keeps
    every block's text (the packs are re-encoded from the TOC's text)."""
    orig = (cdio / f"{name}.cdt").read_bytes()
    packs = orig[:len(orig) - len(orig) % 18]
    shutil.copy(cdio / f"{name}.cdt", tmp_path / "t.cdt")
    cue = silent_cue(tmp_path, ntracks, "t.cdt")
    want = blocks(dimg, cue)
    conv(dimg, cue, tmp_path / "c" / "x.ccd")
    assert len(ch.packs_of_ccd((tmp_path / "c" / "x.ccd").read_text())) == len(packs) // 18
    conv(dimg, tmp_path / "c" / "x.ccd", tmp_path / "c2" / "y.cue")
    assert (tmp_path / "c2" / "y.cdt").read_bytes() == packs
    assert blocks(dimg, tmp_path / "c2" / "y.cue") == want
    conv(dimg, cue, tmp_path / "t" / "x.toc")
    toc = (tmp_path / "t" / "x.toc").read_text()
    assert "LANGUAGE_MAP { 0 : EN" in toc
    conv(dimg, tmp_path / "t" / "x.toc", tmp_path / "t2" / "y.cue")
    assert (tmp_path / "t2" / "y.cdt").exists()
    assert text_only(blocks(dimg, tmp_path / "t2" / "y.cue")) == text_only(want)


# ---- double-byte text built here -------------------------------------------------------------

JP_DISC = "日本語のタイトル、とても長い題名です"
JP = {1: "一曲目", 2: "ＡＢＣ全角", 3: "ｶﾀｶﾅ半角"}  # 3: half-width katakana, odd byte count
JP_PERF = "演奏者"


def jis_blocks():
    """Block 0 MS-JIS (Japanese, genre Jazz), block 1 ISO-8859-1 (English)."""
    b0 = ch.Block(charset=0x80, language=0x69, genre_code=0x0E,
                  disc={"TITLE": JP_DISC, "PERFORMER": JP_PERF, "GENRE": "Jazz", "DISC_ID": "JP-1",
                        "UPC_ISRC": "4988001234567"},
                  tracks={t: {"TITLE": JP[t], "PERFORMER": JP_PERF,
                              "UPC_ISRC": f"JPAB0990000{t}"} for t in JP})
    b1 = ch.Block(charset=0x00, language=0x09, disc={"TITLE": "Japanese title, English block",
                                                     "PERFORMER": "Performer"},
                  tracks={t: {"TITLE": f"Track {t} \xe9t\xe9"} for t in JP})
    return [b0, b1]


def jis_disc(tmp: Path) -> Path:
    (tmp).mkdir(parents=True, exist_ok=True)
    (tmp / "t.cdt").write_bytes(ch.build(jis_blocks(), 1, 3))
    return silent_cue(tmp, 3, "t.cdt")


def test_msjis_decoded(dimg, tmp_path):
    """MS-JIS packs (double-byte flag, two-NUL terminators, character positions counted in
    characters, TAB TAB for a repeated performer) give the Japanese source strings back."""
    cue = jis_disc(tmp_path)
    info = dimg.info(cue)
    b = info["disc"]["cdtext_blocks"]
    assert [(x["block"], x["language"], x["charset"], x["decoded"]) for x in b] == \
        [(0, "Japanese", "MS-JIS", True), (1, "English", "ISO-8859-1", True)]
    assert b[0]["genre_code"] == 0x0E and b[0]["genre"] == "Jazz"
    assert info["disc"]["cdtext"]["TITLE"] == JP_DISC
    assert JP_DISC.encode("shift_jis").decode("shift_jis") == JP_DISC  # the codec's round trip
    assert info["disc"]["cdtext"]["PERFORMER"] == JP_PERF
    tracks = info["sessions"][0]["tracks"]
    assert [t["cdtext"]["TITLE"] for t in tracks] == [JP[1], JP[2], JP[3]]
    assert [t["cdtext"]["PERFORMER"] for t in tracks] == [JP_PERF] * 3
    assert [t["cdtext"]["UPC_ISRC"] for t in tracks] == [f"JPAB0990000{t}" for t in JP]
    got = ch.dimg_blocks(info)
    assert got[1]["tracks"][2] == {"TITLE": "Track 2 \xe9t\xe9"}
    # the TAB repeat really is in the packs (two TABs, then two NULs)
    packs = (tmp_path / "t.cdt").read_bytes()
    assert any(packs[i] == 0x81 and b"\t\t\0\0" in packs[i + 4:i + 16]
               for i in range(0, len(packs), 18))


def test_msjis_cp932(dimg, tmp_path):
    """MS-JIS is read as code page 932: NEC/IBM extensions (circled digits, 髙) decode; the JIS
    symbols where cp932 and JIS-strict Shift-JIS differ come out in cp932's (fullwidth) form."""
    title = "①②③ 髙橋"
    b0 = ch.Block(charset=0x80, language=0x69, codec="cp932", disc={"TITLE": title},
                  tracks={1: {"TITLE": "〜"}})
    (tmp_path / "t.cdt").write_bytes(ch.build([b0], 1, 1))
    info = dimg.info(silent_cue(tmp_path, 1, "t.cdt"))
    assert info["disc"]["cdtext"]["TITLE"] == title
    assert "〜".encode("cp932") == b"\x81\x60"
    assert info["sessions"][0]["tracks"][0]["cdtext"]["TITLE"] == "\uff5e"


def test_msjis_round_trips(dimg, tmp_path):
    cue = jis_disc(tmp_path / "in")
    packs = (tmp_path / "in" / "t.cdt").read_bytes()
    want = blocks(dimg, cue)
    # ccd keeps the packs: its [CDText] entries are the packs without CRC; back to a cue the
    # CDTEXTFILE is the packs byte for byte, and that cue to ccd gives the same entries
    conv(dimg, cue, tmp_path / "c" / "x.ccd")
    e1 = ch.packs_of_ccd((tmp_path / "c" / "x.ccd").read_text())
    assert e1 == [packs[i:i + 16] for i in range(0, len(packs), 18)]
    conv(dimg, tmp_path / "c" / "x.ccd", tmp_path / "c2" / "y.cue")
    assert (tmp_path / "c2" / "y.cdt").read_bytes() == packs
    cue2 = (tmp_path / "c2" / "y.cue").read_text()
    assert "TITLE" not in cue2.split("FILE")[0]  # no lines for a double-byte block 0
    conv(dimg, tmp_path / "c2" / "y.cue", tmp_path / "c3" / "z.ccd")
    assert ch.packs_of_ccd((tmp_path / "c3" / "z.ccd").read_text()) == e1
    assert blocks(dimg, tmp_path / "c3" / "z.ccd") == want
    # toc: ENCODING_MS_JIS and UTF-8 text; back to a cue the packs are re-encoded and decode
    # to the same text
    conv(dimg, cue, tmp_path / "t" / "x.toc")
    toc = (tmp_path / "t" / "x.toc").read_text(encoding="utf-8")
    assert "ENCODING_MS_JIS" in toc and JP_DISC in toc
    assert "LANGUAGE_MAP { 0 : 105 1 : EN }" in toc
    assert "GENRE { 0, 14, 74, 97, 122, 122, 0 }" in toc
    assert blocks(dimg, tmp_path / "t" / "x.toc") == want
    conv(dimg, tmp_path / "t" / "x.toc", tmp_path / "t2" / "y.cue")
    assert blocks(dimg, tmp_path / "t2" / "y.cue") == want
    again = (tmp_path / "t2" / "y.cdt").read_bytes()
    assert again == packs  # dimg's encoder lays the packs out as the specification does


def test_toc_languages_and_encodings(dimg, tmp_path):
    """A TOC with two languages, ENCODING_MS_JIS given as UTF-8 and as \\ooo bytes, a binary
    GENRE: read, written to a cue (CDTEXTFILE) and read back."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.bin").write_bytes(bytes(RAW * TRACK * 2))
    esc = "".join(f"\\{b:03o}" for b in JP[1].encode("shift_jis"))
    (d / "a.toc").write_text(
        "CD_DA\nCD_TEXT {\n  LANGUAGE_MAP { 0 : 105 1 : EN }\n"
        f'  LANGUAGE 0 {{\n    ENCODING_MS_JIS\n    TITLE "{JP_DISC}"\n'
        "    GENRE { 0, 14, 74, 97, 122, 122, 0 }\n  }\n"
        '  LANGUAGE 1 { TITLE "English" }\n}\n'
        f'TRACK AUDIO\nCD_TEXT {{ LANGUAGE 0 {{ TITLE "{esc}" }} LANGUAGE 1 {{ TITLE "One" }} }}\n'
        'FILE "a.bin" SWAP 0 00:01:00\n'
        f'TRACK AUDIO\nCD_TEXT {{ LANGUAGE 0 {{ TITLE "{JP[2]}" }} }}\n'
        'FILE "a.bin" SWAP 00:01:00 00:01:00\n', encoding="utf-8")
    got = blocks(dimg, d / "a.toc")
    assert got[0] == {"language": "Japanese", "genre_code": 14, "disc": {
        "TITLE": JP_DISC, "GENRE": "Jazz"}, "tracks": {1: {"TITLE": JP[1]}, 2: {"TITLE": JP[2]}}}
    assert got[1] == {"language": "English", "genre_code": None, "disc": {"TITLE": "English"},
                      "tracks": {1: {"TITLE": "One"}}}
    conv(dimg, d / "a.toc", tmp_path / "o" / "x.cue")
    assert 'CDTEXTFILE "x.cdt"' in (tmp_path / "o" / "x.cue").read_text()
    assert blocks(dimg, tmp_path / "o" / "x.cue") == got
    # text outside the block's character set is refused with its place
    (d / "b.toc").write_text('CD_TEXT { LANGUAGE 0 { TITLE "日本" } }\nTRACK AUDIO\n'
                             'SILENCE 0:1:0\n', encoding="utf-8")
    r = dimg.run("info", d / "b.toc")
    assert r.returncode == 1 and re.search(r"b\.toc:1:30: .*U\+65E5 is not in ISO-8859-1", r.err)


# ---- what a TOC cannot hold, undecodable character sets --------------------------------------

def test_losses_are_listed(dimg, tmp_path):
    """Copyright flags and TOC_INFO packs have no place in a TOC file: listed, refused without
    --lossy; a cue (CDTEXTFILE) and a ccd keep them."""
    b0 = ch.Block(copyright=3, disc={"TITLE": "Protected"}, tracks={1: {"TITLE": "One"}})
    toc_info = bytes([0x88, 0x00, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0])
    packs = ch.build([b0], 1, 1, extra={0: [toc_info]})
    d = tmp_path / "in"
    d.mkdir()
    (d / "t.cdt").write_bytes(packs)
    cue = silent_cue(d, 1, "t.cdt")
    r = conv(dimg, cue, tmp_path / "o" / "x.toc", ok=False)
    assert r.returncode == 1, r.describe()
    assert "copyright flags (0x03)" in r.err and "TOC_INFO" in r.err and "--lossy" in r.err
    assert not (tmp_path / "o" / "x.toc").exists()
    conv(dimg, "--lossy", cue, tmp_path / "o" / "x.toc")
    conv(dimg, cue, tmp_path / "o" / "x.ccd")
    conv(dimg, tmp_path / "o" / "x.ccd", tmp_path / "o" / "y.cue")
    assert (tmp_path / "o" / "y.cdt").read_bytes() == packs
    info = dimg.info(cue)
    assert info["disc"]["cdtext_blocks"][0]["copyright"] == 3
    # a pack with a bad CRC: its strings are gone; a cue copies the file as it is, a ccd
    # (packs made again from the text) would lose them
    bad = bytearray(packs)
    bad[18 + 17] ^= 0xFF
    (d / "t.cdt").write_bytes(bytes(bad))
    conv(dimg, cue, tmp_path / "b" / "x.cue")
    assert (tmp_path / "b" / "x.cdt").read_bytes() == bytes(bad)
    r = conv(dimg, cue, tmp_path / "b" / "x.ccd", ok=False)
    assert r.returncode == 1 and "bad CRC" in r.err, r.describe()


def test_undecodable_charset(dimg, tmp_path):
    """Korean (0x81) text is kept as bytes, shown in hex, written to a TOC as ENCODING_KOREAN
    with \\ooo bytes, and comes back byte for byte."""
    raw = bytes([0xB0, 0xA1, 0xB0, 0xA2])
    b0 = ch.Block(charset=0x81, language=0x65, disc={"TITLE": raw, "DISC_ID": "KR"},
                  tracks={1: {"TITLE": raw + raw}})
    d = tmp_path / "in"
    d.mkdir()
    (d / "t.cdt").write_bytes(ch.build([b0], 1, 1))
    cue = silent_cue(d, 1, "t.cdt")
    info = dimg.info(cue)
    b = info["disc"]["cdtext_blocks"][0]
    assert (b["charset"], b["charset_code"], b["decoded"], b["language"]) == \
        ("Korean", 0x81, False, "Korean")
    assert b["disc"] == {"TITLE": "(undecodable) b0 a1 b0 a2", "DISC_ID": "KR"}
    assert info["disc"]["cdtext"]["TITLE"] == "(undecodable) b0 a1 b0 a2"
    human = dimg.ok("info", cue).out
    assert "(undecodable) b0 a1 b0 a2" in human
    conv(dimg, cue, tmp_path / "o" / "x.toc")
    toc = (tmp_path / "o" / "x.toc").read_text()
    assert "ENCODING_KOREAN" in toc and 'TITLE "\\260\\241\\260\\242"' in toc
    conv(dimg, tmp_path / "o" / "x.toc", tmp_path / "o" / "y.cue")
    assert blocks(dimg, tmp_path / "o" / "y.cue") == blocks(dimg, cue)
    assert (tmp_path / "o" / "y.cdt").read_bytes() == (d / "t.cdt").read_bytes()


def test_latin1_cue_stays_plain(dimg, tmp_path):
    """Block 0 alone in ISO-8859-1 (what a cue sheet says with TITLE lines) needs no CDTEXTFILE
    when the source had no packs; a second language does."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.bin").write_bytes(bytes(RAW * TRACK))
    (d / "a.toc").write_text('CD_TEXT { LANGUAGE 0 { TITLE "Caf\\351" } }\n'
                             'TRACK AUDIO\nCD_TEXT { LANGUAGE 0 { TITLE "One" } }\n'
                             'FILE "a.bin" SWAP 0 00:01:00\n')
    conv(dimg, d / "a.toc", tmp_path / "o" / "x.cue")
    assert not (tmp_path / "o" / "x.cdt").exists()
    assert 'TITLE "Café"' in (tmp_path / "o" / "x.cue").read_text()
    (d / "b.toc").write_text('CD_TEXT { LANGUAGE_MAP { 0 : EN 1 : 15 }\n'
                             '  LANGUAGE 0 { TITLE "Coffee" } LANGUAGE 1 { TITLE "Caf\\351" } }\n'
                             'TRACK AUDIO\nFILE "a.bin" SWAP 0 00:01:00\n')
    conv(dimg, d / "b.toc", tmp_path / "o" / "y.cue")
    assert 'CDTEXTFILE "y.cdt"' in (tmp_path / "o" / "y.cue").read_text()
    got = blocks(dimg, tmp_path / "o" / "y.cue")
    assert got[1]["language"] == "French" and got[1]["disc"] == {"TITLE": "Café"}


# ---- independent readers of what dimg writes -------------------------------------------------

def cd_info_blocks(cue: Path):
    cdinfo = tl.require_tool("cd-info")
    out = tl.run([cdinfo, "--no-header", "--no-device-info", "--no-cddb", "-c", cue],
                 cwd=cue.parent).stdout.decode("utf-8", errors="replace")
    return ch.parse_right(out)


def test_cd_info_reads_dimg_packs(dimg, tmp_path):
    """Packs dimg encodes (two ISO-8859-1 languages, genre code, TAB repeats) as libcdio's
    cd-info reads them, from the cue+cdt dimg writes from a TOC."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.bin").write_bytes(bytes(RAW * TRACK * 3))
    (d / "a.toc").write_text(
        "CD_DA\nCD_TEXT {\n  LANGUAGE_MAP { 0 : EN 1 : 8 }\n"
        '  LANGUAGE 0 { TITLE "Night Cats" PERFORMER "United Cat Orchestra" '
        'GENRE { 0, 5, 67, 97, 116, 115, 0 } DISC_ID "XY12345" UPC_EAN "1234567890123" }\n'
        '  LANGUAGE 1 { TITLE "Nachtkatzen" PERFORMER "Vereinigtes Katzenorchester" }\n}\n'
        + "".join(f'TRACK AUDIO\nCD_TEXT {{ LANGUAGE 0 {{ TITLE "Song {t}" PERFORMER "Felix" '
                  f'ISRC "XYBLG110000{t}" }} LANGUAGE 1 {{ TITLE "Lied {t} f\\374r dich" '
                  f'PERFORMER "Felix" }} }}\nFILE "a.bin" SWAP 00:{t - 1:02d}:00 00:01:00\n'
                  for t in (1, 2, 3)))
    conv(dimg, d / "a.toc", tmp_path / "o" / "x.cue")
    assert (tmp_path / "o" / "x.cdt").exists()
    mine = blocks(dimg, tmp_path / "o" / "x.cue")
    theirs = cd_info_blocks(tmp_path / "o" / "x.cue")
    assert theirs == mine
    assert theirs[1]["tracks"][2]["TITLE"] == "Lied 2 für dich"
    assert theirs[0]["genre_code"] == 5


def test_cdrdao_parses_dimg_toc(dimg, tmp_path):
    """cdrdao (1.2.4 knows no ENCODING_*; ISO-8859-1 blocks need none) accepts the multi-language
    TOC dimg writes."""
    cdrdao = tl.require_tool("cdrdao")
    b0 = ch.Block(genre_code=5, disc={"TITLE": "Disc", "GENRE": "Classic", "CLOSED": "memo"},
                  tracks={1: {"TITLE": "One"}, 2: {"TITLE": "Two"}})
    b1 = ch.Block(language=8, disc={"TITLE": "Scheibe"}, tracks={1: {"TITLE": "Eins"}})
    d = tmp_path / "in"
    d.mkdir()
    (d / "t.cdt").write_bytes(ch.build([b0, b1], 1, 2))
    conv(dimg, silent_cue(d, 2, "t.cdt"), tmp_path / "o" / "x.toc")
    r = tl.run([cdrdao, "show-toc", tmp_path / "o" / "x.toc"], check=False,
               cwd=tmp_path / "o")
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 0 and "ERROR" not in err, err
    toc = (tmp_path / "o" / "x.toc").read_text()
    assert "LANGUAGE 1 {" in toc and 'RESERVED4 "memo"' in toc


def test_nrg_cdtx_blocks(dimg, tmp_path):
    """An NRG's CDTX chunk: every block read; a cue from it carries the chunk's packs."""
    b0 = ch.Block(disc={"TITLE": "Disc"}, tracks={1: {"TITLE": "One"}})
    b1 = ch.Block(language=0x0F, disc={"TITLE": "Disque"}, tracks={1: {"TITLE": "Un"}})
    packs = ch.build([b0, b1], 1, 1)
    blob, _ = nh.dao([[nh.Track("AUDIO", bytes(RAW * 300), pregap=150)]], cdtext=packs)
    img = tmp_path / "d.nrg"
    img.write_bytes(blob)
    got = blocks(dimg, img)
    assert got[1] == {"language": "French", "genre_code": None, "disc": {"TITLE": "Disque"},
                      "tracks": {1: {"TITLE": "Un"}}}
    conv(dimg, img, tmp_path / "o" / "x.cue")
    assert (tmp_path / "o" / "x.cdt").read_bytes() == packs


def test_human_info(dimg, tmp_path):
    """`dimg info` without --json lists the blocks after the disc's cdtext."""
    out = dimg.ok("info", jis_disc(tmp_path)).out
    assert "cdtext_blocks:" in out and "MS-JIS" in out and JP_DISC in out
    assert json.loads(dimg.ok("info", "--json", tmp_path / "a.cue").out)["disc"]["cdtext"]
