"""CloneCD images with `DataTracksScrambled=1`: the data track's sectors are stored scrambled
(ECMA-130 annex B), as some drives return them in raw reads.  dimg reads them unscrambled
everywhere, keeps the scrambled storage in a CloneCD output (byte for byte) and writes plain
sectors to every other format.

The scrambler here is the annex's shift register written out in Python, checked against the
first bytes the standard lists; the unscrambled disc comes from dimg's ISO -> ccd conversion,
whose sectors chdman and cd-info check elsewhere."""

import hashlib
import json
import re

import pytest

import cd_helpers as ch
import dimg_testlib as tl

RAW = ch.RAW


def scrambler_table() -> bytes:
    """ECMA-130 annex B: x^15 + x + 1, preset to 1, output LSB first, over bytes 12..2351."""
    reg, out = 1, bytearray()
    for _ in range(RAW - 12):
        b = 0
        for bit in range(8):
            b |= (reg & 1) << bit
            fb = (reg ^ (reg >> 1)) & 1
            reg = (reg >> 1) | (fb << 14)
        out.append(b)
    return bytes(out)


TABLE = scrambler_table()


def scramble(sector: bytes) -> bytes:
    return sector[:12] + bytes(a ^ b for a, b in zip(sector[12:], TABLE))


def test_scrambler_table_is_the_standards():
    assert TABLE[:8] == bytes([0x01, 0x80, 0x00, 0x60, 0x00, 0x28, 0x00, 0x1E])


@pytest.fixture(scope="module")
def scrambled(dimg, tmp_path_factory):
    d = tmp_path_factory.mktemp("scram")
    iso = ch.sample_iso(d)
    dimg.ok("convert", iso, d / "plain.ccd")
    plain = (d / "plain.img").read_bytes()
    n = len(plain) // RAW
    (d / "s.img").write_bytes(b"".join(scramble(plain[i * RAW:(i + 1) * RAW]) for i in range(n)))
    (d / "s.sub").write_bytes((d / "plain.sub").read_bytes())
    text = (d / "plain.ccd").read_text()
    assert "DataTracksScrambled=0" in text
    (d / "s.ccd").write_text(text.replace("DataTracksScrambled=0", "DataTracksScrambled=1"))
    return {"dir": d, "iso": iso, "plain": plain}


def test_scrambled_ccd_reads_unscrambled(dimg, scrambled):
    d = scrambled["dir"]
    assert (d / "s.img").read_bytes() != scrambled["plain"]
    assert tl.ls_paths(dimg.ls(d / "s.ccd")) == tl.ls_paths(dimg.ls(scrambled["iso"]))
    r = dimg.run("verify", d / "s.ccd")
    assert r.returncode == 0, r.describe()
    a = dimg.json("hash", "--json", "--per-track", "--algo", "sha1", d / "s.ccd")
    assert a["tracks"][0]["sha1"] == hashlib.sha1(scrambled["plain"]).hexdigest()
    dimg.ok("convert", d / "s.ccd", d / "o.iso")
    assert (d / "o.iso").read_bytes() == scrambled["iso"].read_bytes()
    dimg.ok("convert", d / "s.ccd", d / "o.cue")
    assert (d / "o.bin").read_bytes() == scrambled["plain"]


def test_scrambled_ccd_to_ccd_keeps_its_storage(dimg, scrambled):
    d = scrambled["dir"]
    dimg.ok("convert", d / "s.ccd", d / "c.ccd")
    assert re.search(r"DataTracksScrambled=1", (d / "c.ccd").read_text())
    assert (d / "c.img").read_bytes() == (d / "s.img").read_bytes()
    assert (d / "c.sub").read_bytes() == (d / "s.sub").read_bytes()
    # and a plain one stays plain
    dimg.ok("convert", d / "o.cue", d / "p.ccd")
    assert "DataTracksScrambled=0" in (d / "p.ccd").read_text()
    assert (d / "p.img").read_bytes() == scrambled["plain"]


def test_scrambled_ccd_flipped_byte(dimg, scrambled, tmp_path):
    """A flipped byte in the scrambled storage is reported at its LBA."""
    d = scrambled["dir"]
    img = bytearray((d / "s.img").read_bytes())
    img[20 * RAW + 700] ^= 0x10
    (tmp_path / "s.img").write_bytes(bytes(img))
    (tmp_path / "s.sub").write_bytes((d / "s.sub").read_bytes())
    (tmp_path / "s.ccd").write_text((d / "s.ccd").read_text())
    r = dimg.run("verify", "--json", tmp_path / "s.ccd")
    assert r.returncode == 2, r.describe()
    assert [e["lba"] for e in json.loads(r.out)["errors"]] == [20]
