"""Bootable images from `dimg create` and `dimg mkisofs`: El Torito (BIOS no-emulation with boot
info table, UEFI), isohybrid MBR and hybrid GPT.

Two groups:
* structure (fast, always run): a tree with the real isolinux.bin and an opaque efi.img; the
  boot catalog is compared with xorriso's reading of dimg's image and with an image that
  `xorriso -as mkisofs` makes from the same tree and options; boot info table, isohybrid MBR
  and GPT are checked byte by byte.
* boot (QEMU, marked slow): the payload of ../shared/tools/boot-payload booted with
  ../shared/tools/boot-check as CD and as hard disk, with SeaBIOS and OVMF. Skipped when
  ../shared/tools is absent, failed when CI is set and it is absent.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

import create_helpers as ch
import dimg_testlib as tl

ISOLINUX_BIN = Path("/usr/lib/ISOLINUX/isolinux.bin")
BOOT_MODES = ["bios-cd", "bios-hdd", "uefi-cd", "uefi-hdd"]


def mkisofs_boot_args(isohdpfx) -> list:
    return ["-R", "-J", "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
            "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
            "-isohybrid-mbr", str(isohdpfx), "-eltorito-alt-boot", "-e", "efi.img",
            "-no-emul-boot", "-isohybrid-gpt-basdat"]


def create_boot_opts(isohdpfx) -> list:
    return ["--boot-bios", "isolinux/isolinux.bin", "--boot-catalog", "isolinux/boot.cat",
            "--boot-efi", "efi.img", "--hybrid-mbr", str(isohdpfx), "--gpt"]


def build(dimg, how: str, src: Path, out: Path, isohdpfx: Path) -> Path:
    if how == "mkisofs":
        ch.mkisofs_ok(dimg, "-o", out, *mkisofs_boot_args(isohdpfx), src)
    elif how == "create":
        ch.create_ok(dimg, out, [src], *create_boot_opts(isohdpfx))
    elif how == "reference":
        tl.require_tool("xorriso")
        tl.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", out, *mkisofs_boot_args(isohdpfx),
                src], timeout=300)
    else:
        raise ValueError(how)
    assert out.is_file()
    return out


# --------------------------------------------------------------------------------------------
# structure (synthetic tree, no QEMU)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    isolinux = ch.require_file(ISOLINUX_BIN, "isolinux")
    isohdpfx = ch.require_file(ch.ISOHDPFX, "isolinux")
    tmp = tmp_path_factory.mktemp("bootsynth")
    src = tmp / "bootsrc"
    ch.write_file(src, "isolinux/isolinux.bin", isolinux.read_bytes(), 1600000000)
    ch.write_file(src, "efi.img", ch.content(2 * 1024 * 1024, "efi-image"), 1600000001)
    ch.write_file(src, "readme.txt", b"boot structure test\n", 1600000002)
    return {"src": src, "tmp": tmp, "isohdpfx": isohdpfx, "memo": ch.Memo(tmp)}


def synth_image(dimg, synth, how) -> Path:
    return synth["memo"].get(how, lambda: build(dimg, how, synth["src"],
                                                synth["tmp"] / f"{how}.iso", synth["isohdpfx"]))


HOWS = ["mkisofs", "create"]


@pytest.mark.parametrize("how", HOWS)
def test_el_torito_like_xorriso_reference(dimg, synth, how):
    """Same boot entries (platform, bootable, emulation, load size, path) and catalog path as
    xorriso -as mkisofs gives for the same tree and options."""
    img = synth_image(dimg, synth, how)
    ref = synth_image(dimg, synth, "reference")
    want = [{k: e[k] for k in ("platform", "bootable", "emulation", "load_size", "path")}
            for e in tl.xorriso_el_torito(ref)]
    got = [{k: e[k] for k in ("platform", "bootable", "emulation", "load_size", "path")}
           for e in tl.xorriso_el_torito(img)]
    assert [w["platform"] for w in want] == ["BIOS", "UEFI"], f"oracle check: {want}"
    assert got == want
    text = ch.xorriso_report(img, "-report_el_torito", "plain")
    assert "El Torito cat path : /isolinux/boot.cat" in text, text
    assert not ch.xorriso_problems(text), ch.xorriso_problems(text)


@pytest.mark.parametrize("how", HOWS)
def test_boot_entries_point_at_the_files(dimg, synth, how):
    img = synth_image(dimg, synth, how)
    entries = tl.xorriso_el_torito(img)
    lba = tl.xorriso_report_lba(img)
    assert entries[0]["lba"] == lba["isolinux/isolinux.bin"][0][0]
    assert entries[1]["lba"] == lba["efi.img"][0][0]
    info = dimg.info(img)
    assert [e["lba"] for e in info["boot"]["entries"]] == [e["lba"] for e in entries]


@pytest.mark.parametrize("how", HOWS)
def test_boot_info_table(dimg, synth, how):
    """isolinux.bin in the image carries the boot info table (bytes 8..63): PVD LBA 16, its own
    LBA, its length, the checksum of its 32-bit words from byte 64 on; the rest unchanged."""
    img = synth_image(dimg, synth, how)
    lba = tl.xorriso_report_lba(img)["isolinux/isolinux.bin"][0][0]
    orig = (synth["src"] / "isolinux/isolinux.bin").read_bytes()
    with open(img, "rb") as f:
        f.seek(lba * 2048)
        data = f.read(len(orig))
    pvd, file_lba, length, csum = struct.unpack_from("<IIII", data, 8)
    assert (pvd, file_lba, length) == (16, lba, len(orig)), (pvd, file_lba, length)
    body = orig[64:] + bytes(-len(orig[64:]) % 4)
    want = sum(struct.unpack(f"<{len(body) // 4}I", body)) & 0xFFFFFFFF
    assert csum == want, f"checksum {csum:#x}, want {want:#x}"
    assert data[24:64] == bytes(40), "reserved bytes of the boot info table must be zero"
    assert data[:8] == orig[:8] and data[64:] == orig[64:]


@pytest.mark.parametrize("how", HOWS)
def test_isohybrid_mbr(dimg, synth, how):
    """The MBR is the isohdpfx.bin template (432 bytes) plus the boot file's LBA in 512-byte
    units at 432, a bootable partition from sector 0 and the 0x55AA signature."""
    img = synth_image(dimg, synth, how)
    template = synth["isohdpfx"].read_bytes()
    head = img.read_bytes()[:1 << 20]
    assert head[:432] == template[:432], "MBR code differs from the isohybrid template"
    lba = tl.xorriso_report_lba(img)["isolinux/isolinux.bin"][0][0]
    assert struct.unpack_from("<I", head, 432)[0] == lba * 4, "isohybrid boot file address"
    assert head[510:512] == b"\x55\xaa"
    parts = ch.mbr_partitions(head)
    assert any(status == 0x80 and start == 0 for status, t, start, size in parts), parts
    summary = ch.xorriso_system_area(img)["summary"]
    assert "isohybrid" in summary, summary
    ref = ch.xorriso_system_area(synth_image(dimg, synth, "reference"))["summary"]
    # (xorriso pads the image to a 1 MiB "cylinder"; not required here)
    assert summary.replace("cyl-align-off", "cyl-align-on") == ref, \
        f"system area {summary!r}, xorriso's reference {ref!r}"


@pytest.mark.parametrize("how", HOWS)
def test_hybrid_gpt(dimg, synth, how):
    """A valid GPT (CRCs) with an entry covering the ISO 9660 volume and one holding exactly
    the EFI image."""
    img = synth_image(dimg, synth, how)
    data = img.read_bytes()
    assert ch.gpt_header_ok(data) is None, ch.gpt_header_ok(data)
    parts = ch.gpt_partitions(data)
    efi_lba = tl.xorriso_report_lba(img)["efi.img"][0][0]
    efi = (synth["src"] / "efi.img").read_bytes()
    holding = [p for p in parts if p[1] == efi_lba * 2048 and p[2] >= len(efi)]
    assert holding, f"no GPT entry starts at the EFI image (byte {efi_lba * 2048}): {parts}"
    assert data[holding[0][1]:holding[0][1] + len(efi)] == efi
    vol_end = tl.IsoImage(bytearray(data[:64 * 1024])).volume_blocks() * 2048
    # (the backup GPT may sit in the last 33 sectors of the volume, outside the entry)
    covering = [p for p in parts if p[1] <= 32768 and p[1] + p[2] >= vol_end - 64 * 1024]
    assert covering, f"no GPT entry covers the ISO 9660 volume (ends at {vol_end}): {parts}"
    ref = ch.gpt_partitions(synth_image(dimg, synth, "reference").read_bytes())
    assert sorted(p[0] for p in parts) == sorted(p[0] for p in ref), \
        f"GPT types differ from xorriso's: {parts} vs {ref}"
    info = dimg.info(img)
    got_gpt = [(p["start"], p["size"]) for p in info["partitions"] if p["scheme"] == "gpt"]
    assert got_gpt == [(s, n) for t, s, n in parts], (info["partitions"], parts)


def test_create_default_boot_catalog(dimg, synth, tmp_path):
    img = ch.create_ok(dimg, tmp_path / "cat.iso", [synth["src"]], "--boot-bios",
                       "isolinux/isolinux.bin")
    text = ch.xorriso_report(img, "-report_el_torito", "plain")
    assert "El Torito cat path : /boot.catalog" in text, text
    (entry,) = tl.xorriso_el_torito(img)
    assert (entry["platform"], entry["emulation"], entry["load_size"]) == ("BIOS", "none", 4)
    # the catalog is a file of the image, in every tree
    assert "boot.catalog" in {e["path"] for e in dimg.ls(img)}


def test_create_efi_only(dimg, synth, tmp_path):
    img = ch.create_ok(dimg, tmp_path / "efi.iso", [synth["src"]], "--boot-efi", "efi.img")
    (entry,) = tl.xorriso_el_torito(img)
    assert (entry["platform"], entry["emulation"], entry["path"]) == ("UEFI", "none", "/efi.img")
    raw = img.read_bytes()
    cat_lba = struct.unpack_from("<I", raw, 17 * 2048 + 71)[0]      # boot record volume desc.
    assert raw[17 * 2048:17 * 2048 + 7] == b"\x00CD001\x01", "no El Torito boot record at LBA 17"
    assert raw[cat_lba * 2048 + 1] == 0xEF, "validation entry platform id is not 0xEF"


def test_create_boot_file_missing_is_an_error(dimg, synth, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    r = ch.create(dimg, out_dir / "x.iso", [synth["src"]], "--boot-bios", "no/such/file.bin")
    assert r.returncode == 1, r.describe()
    assert "file.bin" in r.err, r.describe()
    assert ch.listdir(out_dir) == []


# --------------------------------------------------------------------------------------------
# booting in QEMU (../shared/tools)


@pytest.fixture(scope="module")
def payload(tmp_path_factory):
    tool = ch.require_shared_tool("boot-payload")
    ch.require_shared_tool("boot-check")
    for t in ("mkfs.vfat", "mmd", "mcopy", "grub-mkstandalone", "qemu-system-x86_64"):
        tl.require_tool(t)
    ch.require_file(ISOLINUX_BIN, "isolinux")
    ch.require_file(Path("/usr/lib/syslinux/modules/bios/ldlinux.c32"), "syslinux-common")
    ch.require_file(Path("/usr/share/OVMF/OVMF_CODE_4M.fd"), "ovmf")
    isohdpfx = ch.require_file(ch.ISOHDPFX, "isolinux")
    tmp = tmp_path_factory.mktemp("bootpayload")
    d = tmp / "payload"
    tl.run([tool, d], timeout=300)
    assert (d / "isolinux/isolinux.bin").is_file() and (d / "efi.img").is_file()
    return {"src": d, "tmp": tmp, "isohdpfx": isohdpfx, "memo": ch.Memo(tmp)}


def payload_image(dimg, payload, how) -> Path:
    return payload["memo"].get(how, lambda: build(dimg, how, payload["src"],
                                                  payload["tmp"] / f"{how}.iso",
                                                  payload["isohdpfx"]))


def boot_check(image, mode) -> tl.Result:
    tool = ch.require_shared_tool("boot-check")
    return ch.run_cmd([tool, image, mode], timeout=180)


@pytest.mark.slow
@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("mode", BOOT_MODES)
def test_boots(dimg, payload, how, mode):
    img = payload_image(dimg, payload, how)
    r = boot_check(img, mode)
    if r.returncode != 0:
        ref = boot_check(payload_image(dimg, payload, "reference"), mode)
        assert ref.returncode == 0, (f"oracle check: xorriso's reference image does not boot "
                                     f"{mode} either (QEMU/firmware problem?):\n" + ref.describe())
    assert r.returncode == 0, f"dimg {how} image does not boot as {mode} (xorriso's does):\n" + \
        r.describe()


@pytest.mark.slow
def test_payload_el_torito_like_reference(dimg, payload):
    img = payload_image(dimg, payload, "mkisofs")
    ref = payload_image(dimg, payload, "reference")
    keys = ("platform", "bootable", "emulation", "load_size", "path")
    assert [{k: e[k] for k in keys} for e in tl.xorriso_el_torito(img)] == \
        [{k: e[k] for k in keys} for e in tl.xorriso_el_torito(ref)]
