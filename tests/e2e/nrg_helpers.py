"""Nero NRG images written here byte by byte from the format's description (Wikipedia's "NRG (file
format)", checked against the two NRG files of libcdio's test data), for the NRG tests and the
fuzz seeds.  Nothing here is derived from dimg's reader.

Layout: the sectors first, then a chain of chunks (4-byte id, big-endian 32-bit length, data),
then the footer: "NER5" + 64-bit offset of the first chunk (Nero 5.5+) or "NERO" + 32-bit offset.

Disc-at-once sessions have a CUEX (LBA) or CUES (MSF) chunk of 8-byte cue points (ADR/control,
BCD track, BCD index, 0, address) and a DAOX (64-bit) or DAOI (32-bit) chunk: a 22-byte header
(size, 13-byte catalog number, pad, disc type, ?, first and last track) and per track 12-byte
ISRC, 16-bit sector size, mode code, 3 bytes, and the file offsets of INDEX 00, INDEX 01 and
the track's end.  Nero stores the first track's pregap from MSF 00:00:00 (LBA -150) on.

Track-at-once sessions have an ETN2 (64-bit), ETNF (32-bit) or TINF (no LBA) chunk: per track
the file offset, the length in bytes, the mode and (ETN*) the LBA counted without gaps."""

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from cdtext_helpers import crc16  # CD-TEXT pack CRC

# cue-sheet mode name -> (Nero mode code, stored sector size)
MODES = {
    "MODE1/2048": (0x00, 2048),
    "MODE2/2048": (0x02, 2048),
    "MODE2/2336": (0x03, 2336),
    "MODE1/2352": (0x05, 2352),
    "MODE2/2352": (0x06, 2352),
    "AUDIO": (0x07, 2352),
    "CDG": (0x10, 2448),
    # raw data + 96 bytes of raw P-W (dimg: the raw mode with inline R-W)
    "MODE1/2352+PW": (0x0F, 2448),
    "MODE2/2352+PW": (0x11, 2448),
}
DATA_CTL = 0x4
DCP = 0x2
SESSION_GAP = 11250  # lead-out 6750 + lead-in 4500
TAO_PREGAP = 150


def bcd(n: int) -> int:
    return (n // 10) << 4 | n % 10


def cdtext_packs(titles: List[str]) -> bytes:
    """TITLE packs (type 0x80) of block 0: the disc's title then one per track."""
    stream = b"".join(t.encode("latin-1") + b"\0" for t in titles)
    out, track, pos_in = bytearray(), 0, 0
    i = seq = 0
    while i < len(stream):
        chunk = stream[i:i + 12].ljust(12, b"\0")
        head = bytes([0x80, track, seq, min(pos_in, 15)])
        pk = head + chunk
        out += pk + struct.pack(">H", crc16(pk))
        # the track of the next pack's first byte and its position in that string
        for c in stream[i:i + 12]:
            if c == 0:
                track += 1
                pos_in = 0
            else:
                pos_in += 1
        i += 12
        seq += 1
    return bytes(out)


def chunk(cid: bytes, data: bytes, length: Optional[int] = None) -> bytes:
    return cid + struct.pack(">I", len(data) if length is None else length) + data


@dataclass
class Track:
    mode: str
    data: bytes
    pregap: int = 0                 # INDEX 00 sectors (cue points)
    stored_pregap: Optional[int] = None  # of those, stored in the file (default: all)
    pregap_data: Optional[bytes] = None
    isrc: str = ""
    ctl: int = DCP
    indexes: List[int] = field(default_factory=list)  # INDEX 02.. as sectors after INDEX 01

    @property
    def ss(self) -> int:
        return MODES[self.mode][1]

    @property
    def code(self) -> int:
        return MODES[self.mode][0]

    @property
    def sectors(self) -> int:
        assert len(self.data) % self.ss == 0
        return len(self.data) // self.ss


@dataclass
class Layout:
    """What a reader should find: per track (number, session, mode, begin, start, end)."""
    tracks: list = field(default_factory=list)
    leadout: int = 0


def footer(chain: int, v2: bool) -> bytes:
    return b"NER5" + struct.pack(">Q", chain) if v2 else b"NERO" + struct.pack(">I", chain)


def dao(sessions: List[List[Track]], v2=True, mcn="", cdtext: bytes = b"", mtyp=1,
        extra_chunks: bytes = b"", sinf=True, disc_type=0x00, first_lba=-150):
    """A disc-at-once image; returns (bytes, Layout).  Session 1 starts at first_lba (Nero:
    -150, so the first track's pregap is at least 150 sectors), later sessions 11250 sectors
    after the previous lead-out."""
    data = bytearray()
    chunks = bytearray()
    lay = Layout()
    lba = first_lba
    tno = 1
    for si, tracks in enumerate(sessions):
        if si:
            lba = lay.leadout + SESSION_GAP
        cues = [(tracks[0].ctl << 4 | 1, 0, 0, lba)]
        entries = bytearray()
        first = tno
        for t in tracks:
            stored = t.pregap if t.stored_pregap is None else t.stored_pregap
            gap = t.pregap_data if t.pregap_data is not None else b"\0" * (stored * t.ss)
            assert len(gap) == stored * t.ss
            p_off = len(data)
            data += gap
            s_off = len(data)
            data += t.data
            e_off = len(data)
            begin = lba
            if t.pregap:
                cues.append((t.ctl << 4 | 1, tno, 0, lba))
            lba += t.pregap
            start = lba
            cues.append((t.ctl << 4 | 1, tno, 1, lba))
            for k, off in enumerate(t.indexes, 2):
                cues.append((t.ctl << 4 | 1, tno, k, lba + off))
            lba += t.sectors
            lay.tracks.append((tno, si + 1, t.mode, max(begin, 0), start, lba))
            offs = struct.pack(">QQQ" if v2 else ">III", p_off, s_off, e_off)
            entries += (t.isrc.encode().ljust(12, b"\0") + struct.pack(">HB", t.ss, t.code) +
                        b"\0\0\x01" + offs)
            tno += 1
        cues.append((1, 0xAA, 1, lba))
        lay.leadout = lba
        cue_bytes = bytearray()
        for adrctl, tr, ix, a in cues:
            if v2:
                cue_bytes += bytes([adrctl, 0xAA if tr == 0xAA else bcd(tr), bcd(ix), 0])
                cue_bytes += struct.pack(">i", a)
            else:
                f = a + 150
                cue_bytes += bytes([adrctl, 0xAA if tr == 0xAA else bcd(tr), bcd(ix), 0, 0,
                                    f // 4500, f // 75 % 60, f % 75])
        head = (struct.pack(">I", 22 + len(entries)) + mcn.encode().ljust(14, b"\0") +
                bytes([disc_type, si, first, tno - 1]))
        chunks += chunk(b"CUEX" if v2 else b"CUES", bytes(cue_bytes))
        chunks += chunk(b"DAOX" if v2 else b"DAOI", head + entries)
        if sinf:
            chunks += chunk(b"SINF", struct.pack(">I", len(tracks)))
    if cdtext:
        chunks += chunk(b"CDTX", cdtext)
    if mtyp is not None:
        chunks += chunk(b"MTYP", struct.pack(">I", mtyp))
    chunks += extra_chunks + chunk(b"END!", b"")
    chain = len(data)
    return bytes(data) + bytes(chunks) + footer(chain, v2), lay


def tao(sessions: List[List[Track]], kind="ETN2", v2=None, mtyp=1, sinf=True):
    """A track-at-once image; returns (bytes, Layout).  Laid out as libcdio and libmirage read
    it: track 1 at LBA 0, every later track after a 150-sector pregap, a later session's first
    track 11250 + 150 sectors after the previous lead-out."""
    if v2 is None:
        v2 = kind == "ETN2"
    data = bytearray()
    chunks = bytearray()
    lay = Layout()
    pos = 0  # sectors stored so far (the LBA field: positions without gaps)
    end = None
    tno = 1
    for si, tracks in enumerate(sessions):
        entries = bytearray()
        for k, t in enumerate(tracks):
            off = len(data)
            data += t.data
            if end is None:
                begin = start = 0
            elif k == 0:
                begin = end + SESSION_GAP
                start = begin + TAO_PREGAP
            else:
                begin = end
                start = begin + TAO_PREGAP
            end = start + t.sectors
            lay.tracks.append((tno, si + 1, t.mode, begin, start, end))
            if kind == "ETN2":
                entries += struct.pack(">QQIIQ", off, len(t.data), t.code, pos, 0)
            elif kind == "ETNF":
                entries += struct.pack(">IIIII", off, len(t.data), t.code, pos, 0)
            else:
                entries += struct.pack(">III", off, len(t.data), t.code)
            pos += t.sectors
            tno += 1
        chunks += chunk(kind.encode(), bytes(entries))
        if sinf:
            chunks += chunk(b"SINF", struct.pack(">I", len(tracks)))
    lay.leadout = end
    if mtyp is not None:
        chunks += chunk(b"MTYP", struct.pack(">I", mtyp))
    chunks += chunk(b"END!", b"")
    chain = len(data)
    return bytes(data) + bytes(chunks) + footer(chain, v2), lay


def write(path: Path, blob_and_layout):
    blob, lay = blob_and_layout
    Path(path).write_bytes(blob)
    return lay


def chain_offset(blob: bytes) -> int:
    """Offset of the first chunk, from the footer."""
    if blob[-12:-8] == b"NER5":
        return struct.unpack(">Q", blob[-8:])[0]
    assert blob[-8:-4] == b"NERO"
    return struct.unpack(">I", blob[-4:])[0]


def find_chunk(blob: bytes, cid: bytes) -> int:
    """File offset of the first chunk with this id (its header)."""
    pos = chain_offset(blob)
    while True:
        c = blob[pos:pos + 4]
        n = struct.unpack(">I", blob[pos + 4:pos + 8])[0]
        if c == cid:
            return pos
        assert c != b"END!", cid
        pos += 8 + n


def fuzz_seeds(out: Path, tiny_iso: bytes):
    """The seed corpus of tests/fuzz/corpus/nrg: small images of every shape (a few sectors a
    track; a DAO first track whose 2-sector pregap starts before LBA 0)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    m1 = bytes(range(256)) * 8 * 3  # 3 sectors of 2048
    au = (bytes(range(7, 256)) * 19)[:2352 * 2]
    T = Track
    seeds = {
        "dao-v2-audio": dao([[T("AUDIO", au, pregap=2), T("AUDIO", au, pregap=1)]],
                            first_lba=-2),
        "dao-v1-cues": dao([[T("AUDIO", au, pregap=2), T("MODE1/2048", m1, pregap=1,
                                                         ctl=DATA_CTL)]], v2=False, first_lba=-2),
        "dao-iso-audio": dao([[T("MODE1/2048", tiny_iso, pregap=0, ctl=DATA_CTL | DCP),
                               T("AUDIO", au, pregap=1, isrc="USABC9912345", indexes=[1])]],
                             mcn="0123456789012", first_lba=0,
                             cdtext=cdtext_packs(["Disc", "One", "Two"])),
        "dao-gen-pregap": dao([[T("MODE2/2336", b"\0" * 2336 * 2, pregap=3, stored_pregap=1,
                                  ctl=DATA_CTL)]], first_lba=0),
        "dao-two-sessions": dao([[T("AUDIO", au, pregap=1)], [T("MODE1/2048", m1, pregap=2)]],
                                first_lba=-1),
        "dao-cdg-raw": dao([[T("MODE1/2352", b"\0" * 2352, pregap=0, ctl=DATA_CTL),
                             T("MODE2/2352", b"\0" * 2352, pregap=1, ctl=DATA_CTL),
                             T("CDG", b"\1" * 2448 * 2, pregap=1)]], first_lba=0),
        "tao-data-pw": tao([[T("MODE1/2352+PW", (b"\0" * 2352 + bytes(range(96))) * 3),
                             T("MODE2/2352+PW", b"\1" * 2448 * 2)]], kind="ETN2"),
        "tao-etn2": tao([[T("MODE1/2048", tiny_iso), T("AUDIO", au)]], kind="ETN2"),
        "tao-etnf-2s": tao([[T("MODE2/2336", b"\0" * 2336 * 2)], [T("MODE2/2048", m1)]],
                           kind="ETNF"),
        "tao-tinf": tao([[T("AUDIO", au), T("MODE1/2048", m1)]], kind="TINF"),
    }
    for name, (blob, _) in seeds.items():
        (out / f"{name}.nrg").write_bytes(blob)
