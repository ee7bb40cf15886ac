"""Raw CD images for the CD tests: a mixed-mode disc (a Mode 1 data track plus audio tracks with
2-second INDEX 00 pregaps) as one BIN or one BIN per track, written here byte by byte from PCM made
by sox (or a deterministic generator when sox is absent) and a data track made by dimg from the
bundled sample ISO (whose raw form chdman and cd-info check independently)."""

import hashlib
import random
import shutil
import struct
from pathlib import Path

import dimg_testlib as tl

RAW = 2352
PREGAP = 150


def msf(frames: int) -> str:
    return f"{frames // 4500:02d}:{frames // 75 % 60:02d}:{frames % 75:02d}"


def pcm(seconds: float, freq: int, tmp: Path) -> bytes:
    """16-bit stereo 44.1 kHz PCM, padded with silence to whole sectors."""
    sox = shutil.which("sox")
    out = tmp / f"tone{freq}.pcm"
    if sox:
        tl.run([sox, "-n", "-r", "44100", "-b", "16", "-c", "2", "-e", "signed-integer", "-t",
                "raw", out, "synth", str(seconds), "sine", str(freq)])
        data = out.read_bytes()
    else:  # a reproducible pseudo-tone
        n = int(seconds * 44100)
        data = b"".join(struct.pack("<hh", (i * freq) % 30000 - 15000, (i * 7) % 20000 - 10000)
                        for i in range(n))
    pad = (-len(data)) % RAW
    return data + b"\0" * pad


def sample_iso(tmp: Path) -> Path:
    iso = tmp / "sample.iso"
    if not iso.exists():
        tl.run(["xz", "-dc", tl.REPO / "examples" / "sample.iso.xz"]).stdout
        iso.write_bytes(tl.run(["xz", "-dc", tl.REPO / "examples" / "sample.iso.xz"]).stdout)
    return iso


class MixedDisc:
    """Track 1 Mode 1 data, tracks 2..n audio each with a 150-sector INDEX 00 of silence."""

    def __init__(self, dimg, tmp: Path, audio_tracks=2):
        self.tmp = tmp
        iso = sample_iso(tmp)
        data_cue = tmp / "data.cue"
        dimg.ok("convert", iso, data_cue)
        self.data = (tmp / "data.bin").read_bytes()
        self.iso = iso.read_bytes()
        self.audio = [pcm(2.0 + i * 0.7, 440 + 110 * i, tmp) for i in range(audio_tracks)]

    @property
    def tracks(self):
        """(mode, pregap bytes, data bytes) per track."""
        out = [("MODE1/2352", b"", self.data)]
        for a in self.audio:
            out.append(("AUDIO", b"\0" * (PREGAP * RAW), a))
        return out

    def write_single(self, d: Path, name="mixed") -> Path:
        d.mkdir(parents=True, exist_ok=True)
        lines = [f'FILE "{name}.bin" BINARY']
        pos = 0
        blob = bytearray()
        for n, (mode, gap, data) in enumerate(self.tracks, 1):
            lines.append(f"  TRACK {n:02d} {mode}")
            if gap:
                lines.append(f"    INDEX 00 {msf(pos)}")
                pos += len(gap) // RAW
            lines.append(f"    INDEX 01 {msf(pos)}")
            pos += len(data) // RAW
            blob += gap + data
        (d / f"{name}.bin").write_bytes(bytes(blob))
        cue = d / f"{name}.cue"
        cue.write_text("\n".join(lines) + "\n")
        return cue

    def write_split(self, d: Path, name="mixed") -> Path:
        """Redump style: one BIN per track, each with its own INDEX 00."""
        d.mkdir(parents=True, exist_ok=True)
        lines = []
        for n, (mode, gap, data) in enumerate(self.tracks, 1):
            fn = f"{name} (Track {n:02d}).bin"
            (d / fn).write_bytes(gap + data)
            lines.append(f'FILE "{fn}" BINARY')
            lines.append(f"  TRACK {n:02d} {mode}")
            if gap:
                lines.append("    INDEX 00 00:00:00")
            lines.append(f"    INDEX 01 {msf(len(gap) // RAW)}")
        cue = d / f"{name}.cue"
        cue.write_text("\n".join(lines) + "\n")
        return cue

    def expected_table(self):
        out, lba = [], 0
        for n, (mode, gap, data) in enumerate(self.tracks, 1):
            begin = lba
            lba += len(gap) // RAW
            start = lba
            lba += len(data) // RAW
            out.append({"number": n, "mode": mode, "start": start, "pregap": start - begin,
                        "length": lba - start})
        return out


def sha1(b: bytes) -> str:
    return hashlib.sha1(b).hexdigest()


def wav_pcm(path: Path) -> bytes:
    """The PCM of a canonical 44-byte-header WAV written by dimg or bchunk, checked field by
    field."""
    b = Path(path).read_bytes()
    assert b[:4] == b"RIFF" and b[8:16] == b"WAVEfmt ", b[:16]
    fmt_len, = struct.unpack_from("<I", b, 16)
    tag, ch, rate, _, _, bits = struct.unpack_from("<HHIIHH", b, 20)
    assert (tag, ch, rate, bits) == (1, 2, 44100, 16)
    off = 20 + fmt_len
    while b[off:off + 4] != b"data":
        ln, = struct.unpack_from("<I", b, off + 4)
        off += 8 + ln
    ln, = struct.unpack_from("<I", b, off + 4)
    return b[off + 8:off + 8 + ln]


# ---- subchannel (ECMA-130 and the CloneCD .sub layout) -------------------------------------

def rw_bytes(n: int, seed: int, pq: bool = False) -> bytes:
    """n blocks of 96 raw R-W bytes (6-bit symbols); with pq, bits 7 and 6 random too."""
    r = random.Random(seed)
    mask = 0xFF if pq else 0x3F
    return bytes(r.randrange(256) & mask for _ in range(96 * n))


def deinterleave(raw96: bytes) -> bytes:
    """Raw P-W (bit 7 = P ... bit 0 = W of every byte) to 12 bytes per channel, P first."""
    out = bytearray(96)
    for c in range(8):
        for j in range(12):
            v = 0
            for k in range(8):
                v = (v << 1) | ((raw96[8 * j + k] >> (7 - c)) & 1)
            out[12 * c + j] = v
    return bytes(out)


def q_crc_ok(q: bytes) -> bool:
    crc = 0
    for b in q[:10]:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return (crc ^ 0xFFFF) == int.from_bytes(q[10:12], "big")
