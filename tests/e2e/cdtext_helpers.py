"""CD-TEXT packs built here from the specification, independently of dimg's encoder, and
libcdio's listing format (the .right files, cd-info's "CD Analysis Report") parsed.

Pack layout (MMC-3 annex J, Sony's CD-TEXT documentation as summarised in libburn's
doc/cdtext.txt): 18 bytes = type (0x80 TITLE .. 0x8F size information), track number, sequence
number (counted per block), block/character-position byte (bit 7 double-byte, bits 6-4 block,
bits 3-0 characters of the current string sent in earlier packs, 15 = "15 or more"; a
double-byte character counts once), 12 payload bytes, CRC-16 (CCITT x^16+x^12+x^5+1, initial 0,
all bits inverted) of the first 16 bytes, big-endian.  Per block and type the payloads are one
stream of strings, the disc's first then each track's; single-byte strings end with one NUL,
double-byte strings with two; a string equal to the previous track's may be sent as a TAB (two
TABs for double-byte).  GENRE starts with a 2-byte genre code.  Three 0x8F packs end a block:
character code, first and last track, copyright byte, 16 pack counts, the last sequence number of
each of the 8 blocks and the language code of each block."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import Dict, List, Optional

# (pack type, field name as dimg's JSON names it, disc only, in the block's character set)
TYPES = [(0x80, "TITLE", False, True), (0x81, "PERFORMER", False, True),
         (0x82, "SONGWRITER", False, True), (0x83, "COMPOSER", False, True),
         (0x84, "ARRANGER", False, True), (0x85, "MESSAGE", False, True),
         (0x86, "DISC_ID", True, False), (0x87, "GENRE", True, False),
         (0x8D, "CLOSED", True, False), (0x8E, "UPC_ISRC", False, False)]

CODECS = {0x00: "latin-1", 0x01: "ascii", 0x80: "shift_jis"}


def crc16(b: bytes) -> int:
    c = 0
    for x in b:
        c ^= x << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else c << 1
            c &= 0xFFFF
    return c ^ 0xFFFF


def with_crc(p16: bytes) -> bytes:
    assert len(p16) == 16
    return p16 + struct.pack(">H", crc16(p16))


@dataclass
class Block:
    charset: int = 0x00
    language: int = 0x09
    copyright: int = 0
    genre_code: Optional[int] = None
    disc: Dict[str, object] = field(default_factory=dict)    # field -> str or bytes
    tracks: Dict[int, Dict[str, object]] = field(default_factory=dict)
    codec: Optional[str] = None  # for the text fields; default from the charset


def _bytes(blk: Block, fld: str, in_cs: bool, v) -> bytes:
    if not v:
        return b""
    if isinstance(v, bytes):
        return v
    if in_cs:
        return v.encode(blk.codec or CODECS[blk.charset])
    return v.encode("latin-1")


def build(blocks: List[Block], first: int = 1, last: int = 1, tab: bool = True,
          extra: Optional[Dict[int, List[bytes]]] = None) -> bytes:
    """The packs of the given blocks (block n = blocks[n], None for an unused number).
    extra: block -> raw 12-byte payloads of other pack types to add (type in byte 0 of a
    (type, track, payload) triple given as bytes of 14: type, track, 12 payload)."""
    out: List[bytearray] = []
    lastseq = [0] * 8
    sizes = []
    for bn, blk in enumerate(blocks):
        if blk is None:
            continue
        seq = 0
        counts = [0] * 16

        def emit(ptype, track, pos, db, payload):
            nonlocal seq
            hdr = bytes([ptype, track, seq, (0x80 if db else 0) | bn << 4 | min(pos, 15)])
            out.append(bytearray(hdr + payload))
            counts[ptype & 15] += 1
            seq += 1

        for ptype, fld, disc_only, in_cs in TYPES:
            db = in_cs and blk.charset >= 0x80
            tracks = [0] if disc_only else [0] + list(range(first, last + 1))
            vals = {0: blk.disc.get(fld)}
            for t in tracks[1:]:
                vals[t] = blk.tracks.get(t, {}).get(fld)
            if all(v is None for v in vals.values()) and not (fld == "GENRE" and
                                                              blk.genre_code is not None):
                continue
            # the stream: (byte, track, index of the byte in its string / char, code byte?)
            stream = []
            prev = None
            for t in tracks:
                s = _bytes(blk, fld, in_cs, vals[t] or "")
                if fld == "GENRE":
                    code = blk.genre_code if blk.genre_code is not None else 1
                    stream += [(b, t, -1) for b in struct.pack(">H", code)]
                if tab and t > first and s and s == prev:
                    body = b"\t\t" if db else b"\t"
                else:
                    body = s
                prev = s
                term = b"\0\0" if db else b"\0"
                stream += [(b, t, i) for i, b in enumerate(body + term)]
            for i in range(0, len(stream), 12):
                chunk = stream[i:i + 12]
                t, idx = chunk[0][1], chunk[0][2]
                pos = 0 if idx < 0 else (idx // 2 if db else idx)
                payload = bytes(b for b, _, _ in chunk).ljust(12, b"\0")
                emit(ptype, t, pos, db, payload)
        for raw in (extra or {}).get(bn, []):
            emit(raw[0], raw[1], 0, False, raw[2:14])
        counts[15] = 3
        info = bytes([blk.charset, first, last, blk.copyright]) + bytes(counts)
        sizes.append((bn, len(out), info))
        for k in range(3):
            emit(0x8F, k, 0, False, bytes(12))
        lastseq[bn] = seq - 1
    langs = [0] * 8
    for bn, blk in enumerate(blocks):
        if blk is not None:
            langs[bn] = blk.language
    for bn, at, info in sizes:
        rec = info + bytes(lastseq) + bytes(langs)
        assert len(rec) == 36
        for k in range(3):
            out[at + k][4:16] = rec[k * 12:(k + 1) * 12]
    return b"".join(with_crc(bytes(p)) for p in out)


def packs_of_ccd(text: str) -> List[bytes]:
    """The 16-byte [CDText] entries of a CloneCD sheet, in order."""
    return [bytes(int(x, 16) for x in m[1].split())
            for m in re.finditer(r"^Entry \d+=((?:[0-9a-fA-F]{2} ?){16})\s*$", text, re.M)]


# ---- libcdio listings ------------------------------------------------------------------------

RIGHT_KEYS = {"TITLE", "PERFORMER", "SONGWRITER", "COMPOSER", "ARRANGER", "MESSAGE", "DISC_ID",
              "GENRE"}


def parse_right(text: str) -> Dict[int, dict]:
    """libcdio's CD-TEXT listing as {block: {"language": name, "genre_code": n or None,
    "disc": {field: value}, "tracks": {n: {field: value}}}} with dimg's field names
    (UPC_EAN and ISRC are UPC_ISRC)."""
    blocks: Dict[int, dict] = {}
    cur = None
    target = None
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"Language (\d+) '([^']*)':", s)
        if m:
            cur = blocks.setdefault(int(m[1]), {"language": m[2], "genre_code": None,
                                                "disc": {}, "tracks": {}})
            target = None
            continue
        if cur is None:
            continue
        if s == "CD-TEXT for Disc:":
            target = cur["disc"]
            continue
        m = re.match(r"CD-TEXT for Track\s+(\d+):", s)
        if m:
            target = cur["tracks"].setdefault(int(m[1]), {})
            continue
        m = re.match(r"([A-Z_]+): ?(.*)$", s)
        if not m or target is None:
            continue
        key, val = m[1], m[2]
        if key == "GENRE_CODE":
            cur["genre_code"] = int(val.split()[0])
        elif key in ("UPC_EAN", "ISRC"):
            target["UPC_ISRC"] = val
        elif key in RIGHT_KEYS:
            target[key] = val
    return blocks


def dimg_blocks(info: dict, drop=("CLOSED",)) -> Dict[int, dict]:
    """dimg's cdtext_blocks in parse_right's shape."""
    out = {}
    for b in info["disc"].get("cdtext_blocks", []):
        out[b["block"]] = {
            "language": b["language"], "genre_code": b.get("genre_code"),
            "disc": {k: v for k, v in b.get("disc", {}).items() if k not in drop},
            "tracks": {t["number"]: {k: v for k, v in t["cdtext"].items() if k not in drop}
                       for t in b.get("tracks", [])}}
    return out
