#!/usr/bin/env python3
"""Synthetic handset image generator for interdict (tests, demo, benchmarks).

Builds a deterministic GPT disk image, byte for byte the same on every run:

  handset.img (GPT, fixed GUIDs)
   ├─ boot      Android boot image v2: kernel (blob with an embedded gzip stream and an embedded ELF),
   │            ramdisk (gzip'd cpio: init.rc, default.prop), dtb
   ├─ system    ext4 (mke2fs -d): build.prop, an APK (zip) carrying indicator strings, su, a library with
   │            crypto constants, every STL/OBJ/3MF from samples/meshes (or a generated tetrahedron)
   ├─ vendor    squashfs v4 (mksquashfs, reproducible): vendor build.prop
   └─ userdata  ext4: an Android sparse image (img2simg) of a small ext4, a zip, a tar.gz holding meshes
                and indicators, and a truncated zip (a damaged container the scan must survive)

Every indicator is synthetic (see signatures/yara/*/). Needs python3, mke2fs, img2simg, mksquashfs.
Usage: make_handset_image.py OUTPUT_IMAGE [--meshes DIR]
"""
import argparse
import gzip
import io
import os
import random
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import uuid
import zipfile
import zlib

FIXED_TIME = 1700000000  # all file and file-system timestamps
SECTOR = 512
NAMESPACE = uuid.UUID("6f1d2a57-7c41-4e1b-9d55-2c7b3f0a9e01")
LINUX_DATA = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4")
AES_SBOX = bytes.fromhex("637c777bf26b6fc53001672bfed7ab76")
SHA256_IV_LE = struct.pack("<8I", 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                           0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
BLOWFISH_P_LE = struct.pack("<4I", 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344)
TETRAHEDRON_STL = b"""solid tetrahedron
facet normal 0 0 -1
 outer loop
  vertex 0 0 0
  vertex 0 10 0
  vertex 10 0 0
 endloop
endfacet
facet normal 0 -1 0
 outer loop
  vertex 0 0 0
  vertex 10 0 0
  vertex 0 0 10
 endloop
endfacet
facet normal -1 0 0
 outer loop
  vertex 0 0 0
  vertex 0 0 10
  vertex 0 10 0
 endloop
endfacet
facet normal 0.577 0.577 0.577
 outer loop
  vertex 10 0 0
  vertex 0 10 0
  vertex 0 0 10
 endloop
endfacet
endsolid tetrahedron
"""


def filler(rng, n):
    """Bytes that cannot form any indicator: lowercase letters and spaces."""
    return bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz ") for _ in range(n))


def gzip_bytes(data):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as g:
        g.write(data)
    return out.getvalue()


def cpio_newc(files):
    """files: list of (name, bytes, mode). Deterministic newc archive."""
    out = bytearray()

    def entry(name, data, mode, ino):
        namez = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            ino, mode, 0, 0, 1, FIXED_TIME, len(data), 0, 0, 0, 0, len(namez), 0))
        out.extend(hdr.encode() + namez)
        out.extend(b"\0" * ((4 - len(out) % 4) % 4))
        out.extend(data)
        out.extend(b"\0" * ((4 - len(out) % 4) % 4))

    for i, (name, data, mode) in enumerate(files, start=1):
        entry(name, data, mode, i)
    entry("TRAILER!!!", b"", 0, 0)
    return bytes(out)


def tiny_elf(payload):
    """A minimal little-endian ELF64 file whose one segment covers the payload."""
    phoff, ehsize, phsize = 64, 64, 56
    total = ehsize + phsize + len(payload)
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 0xB7, 1, 0x400000, phoff, 0, 0, ehsize, phsize, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, total, total, 0x1000)
    return eh + ph + payload


def boot_image_v2(kernel, ramdisk, dtb, cmdline):
    page = 2048
    hdr = bytearray(1660)
    hdr[0:8] = b"ANDROID!"
    struct.pack_into("<10I", hdr, 8, len(kernel), 0x10008000, len(ramdisk), 0x11000000, 0, 0,
                     0x10000100, page, 2, 0)
    hdr[48:48 + 16] = b"synthetic".ljust(16, b"\0")
    hdr[64:64 + 512] = cmdline.ljust(512, b"\0")
    struct.pack_into("<IQI", hdr, 1632, 0, 0, 1660)
    struct.pack_into("<IQ", hdr, 1648, len(dtb), 0x1f00000)

    def padded(b):
        return b + b"\0" * ((page - len(b) % page) % page)

    return padded(bytes(hdr)) + padded(kernel) + padded(ramdisk) + padded(dtb)


def zip_bytes(members, compress=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2023, 11, 14, 22, 13, 20))
            info.compress_type = compress
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return out.getvalue()


def targz_bytes(members):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = FIXED_TIME
            info.mode = 0o644
            info.uname = info.gname = "root"
            t.addfile(info, io.BytesIO(data))
    return gzip_bytes(raw.getvalue())


def stage(root, files):
    for path, data in files:
        full = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            os.utime(os.path.join(dirpath, n), (FIXED_TIME, FIXED_TIME))
    os.utime(root, (FIXED_TIME, FIXED_TIME))


def mke2fs(root, out, size_mb, label):
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(FIXED_TIME), SOURCE_DATE_EPOCH=str(FIXED_TIME))
    fs_uuid = str(uuid.uuid5(NAMESPACE, "ext4-" + label))
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-I", "128", "-L", label,
                    "-U", fs_uuid, "-E", "hash_seed=" + fs_uuid + ",lazy_itable_init=0,lazy_journal_init=0",
                    "-O", "extent,huge_file,flex_bg,dir_nlink,^metadata_csum,^has_journal",
                    "-d", root, out, "%dM" % size_mb], check=True, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    # mke2fs -d copies each staged file's ctime (which no one can set) and atime (which reading the
    # staging tree moves): pin all three times with debugfs.
    # (128-byte inodes carry no nanosecond or creation-time fields that would need the same.)
    commands = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in [""] + dirnames + filenames:
            rel = "/" + os.path.relpath(os.path.join(dirpath, n), root).lstrip(".")
            for field in ("atime", "ctime", "mtime"):
                commands.append("set_inode_field %s %s @%d" % (rel.replace("//", "/") or "/", field, FIXED_TIME))
    for field in ("atime", "ctime", "mtime"):
        commands.append("set_inode_field /lost+found %s @%d" % (field, FIXED_TIME))
    script = out + ".debugfs"
    with open(script, "w") as f:
        f.write("\n".join(sorted(set(commands))) + "\n")
    subprocess.run(["debugfs", "-w", "-f", script, out], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def gpt_disk(out_path, partitions, total_mb):
    """partitions: list of (name, bytes). Each starts 1 MiB aligned."""
    total_sectors = total_mb * 2048
    entries = bytearray(128 * 128)
    lba = 2048
    layout = []
    for i, (name, data) in enumerate(partitions):
        sectors = (len(data) + SECTOR - 1) // SECTOR
        sectors = ((sectors + 2047) // 2048) * 2048
        first, last = lba, lba + sectors - 1
        e = LINUX_DATA.bytes_le + uuid.uuid5(NAMESPACE, "part-" + name).bytes_le
        e += struct.pack("<QQQ", first, last, 0) + name.encode("utf-16-le").ljust(72, b"\0")
        entries[i * 128:(i + 1) * 128] = e
        layout.append((first, data))
        lba = last + 1
    if lba + 34 > total_sectors:
        sys.exit("partitions do not fit in %d MiB" % total_mb)
    entries_crc = zlib.crc32(entries)
    disk_guid = uuid.uuid5(NAMESPACE, "disk").bytes_le

    def header(current, backup, entries_lba):
        h = bytearray(92)
        struct.pack_into("<8sIIIIQQQQ16sQIII", h, 0, b"EFI PART", 0x10000, 92, 0, 0, current, backup,
                         2048, total_sectors - 34, disk_guid, entries_lba, 128, 128, entries_crc)
        struct.pack_into("<I", h, 16, zlib.crc32(h))
        return bytes(h).ljust(SECTOR, b"\0")

    mbr = bytearray(SECTOR)
    mbr[446:462] = struct.pack("<BBBBBBBBII", 0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF, 1,
                               min(total_sectors - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    with open(out_path, "wb") as f:
        f.truncate(total_sectors * SECTOR)
        f.write(mbr)
        f.write(header(1, total_sectors - 1, 2))
        f.write(entries)
        for first, data in layout:
            f.seek(first * SECTOR)
            f.write(data)
        f.seek((total_sectors - 33) * SECTOR)
        f.write(entries)
        f.write(header(total_sectors - 1, 1, total_sectors - 33))


def find_meshes(mesh_dir):
    found = []
    if mesh_dir and os.path.isdir(mesh_dir):
        for dirpath, _, filenames in sorted(os.walk(mesh_dir)):
            for n in sorted(filenames):
                if n.lower().endswith((".stl", ".obj", ".3mf")):
                    with open(os.path.join(dirpath, n), "rb") as f:
                        found.append((n, f.read()))
    return found or [("tetrahedron.stl", TETRAHEDRON_STL)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--meshes", default=os.path.join(here, "..", "meshes"))
    args = ap.parse_args()
    rng = random.Random(42)
    meshes = find_meshes(args.meshes)
    work = tempfile.mkdtemp(prefix="interdict-handset-")
    try:
        # boot: kernel blob with an embedded gzip stream and an embedded ELF; ramdisk cpio.gz; dtb
        kernel = (filler(rng, 4096) + gzip_bytes(b"Linux version 5.10.0-synthetic " + BLOWFISH_P_LE + filler(rng, 2000))
                  + filler(rng, 1000) + tiny_elf(b"chacha20 init: expand 32-byte k " + filler(rng, 200))
                  + filler(rng, 3000))
        ramdisk = gzip_bytes(cpio_newc([
            ("init.rc", b"on early-init\n    start ueventd\n", 0o100644),
            ("default.prop", b"ro.secure=0\nro.debuggable=1\nro.adb.secure=0\n", 0o100644),
            ("sbin/su", b"#!/system/bin/sh\n# synthetic su stub\n", 0o100755),
        ]))
        dtb = b"\xd0\x0d\xfe\xed" + filler(rng, 252)
        boot = boot_image_v2(kernel, ramdisk, dtb,
                             b"console=ttyMSM0 androidboot.verifiedbootstate=orange androidboot.flash.locked=0")

        # system: ext4
        apk = zip_bytes([
            ("AndroidManifest.xml", b"<manifest package=\"com.example.nightjar.messenger\"/>"),
            ("classes.dex", b"dex\n035\0" + filler(rng, 700) + AES_SBOX + filler(rng, 300)),
            ("assets/config.json", b'{"relay":"relay.nightjar-comms.invalid","v":"NJ-CONFIG-V2"}'),
        ])
        system_files = [
            ("/system/build.prop", b"ro.build.fingerprint=examplevendor/sample/sample:14/UP1A.000000/1:userdebug/test-keys\n"
                                   b"ro.build.version.release=14\n"),
            ("/system/app/Nightjar/Nightjar.apk", apk),
            ("/system/xbin/su", b"\x7fELF synthetic su placeholder for /system/xbin/su\n"),
            ("/system/lib64/libsamplecrypto.so", filler(rng, 5000) + SHA256_IV_LE + filler(rng, 5000)),
        ] + [("/system/media/models/" + n, d) for n, d in meshes]
        system_root = os.path.join(work, "system")
        stage(system_root, system_files)
        system_img = os.path.join(work, "system.img")
        mke2fs(system_root, system_img, 8, "system")

        # vendor: squashfs
        vendor_root = os.path.join(work, "vendor")
        stage(vendor_root, [("/build.prop", b"ro.vendor.build.fingerprint=examplevendor/sample/sample:14/UP1A/1:user/release-keys\n"),
                            ("/etc/kestrel/version.txt", b"KESTREL-OS build 7.1 update.kestrel-phone.invalid\n")])
        vendor_img = os.path.join(work, "vendor.img")
        subprocess.run(["mksquashfs", vendor_root, vendor_img, "-quiet", "-noappend", "-all-root", "-no-xattrs",
                        "-mkfs-time", str(FIXED_TIME), "-all-time", str(FIXED_TIME), "-comp", "gzip"],
                       check=True, stdout=subprocess.DEVNULL)

        # userdata: ext4 holding a sparse image, archives, and a damaged zip
        inner_root = os.path.join(work, "inner")
        stage(inner_root, [("/notes/token.txt", b"provisioned with NJTOKEN-0A1B2C3D-DEADBEEF\n")])
        inner_img = os.path.join(work, "inner.img")
        mke2fs(inner_root, inner_img, 2, "appdata")
        sparse_img = os.path.join(work, "appdata.simg")
        subprocess.run(["img2simg", inner_img, sparse_img], check=True, stdout=subprocess.DEVNULL)
        with open(sparse_img, "rb") as f:
            sparse = f.read()
        export_zip = zip_bytes([("export/messages.txt", b"meet at the usual place\n"),
                                ("export/kestrel.txt", b"KESTREL-OS build 7.1 (update.kestrel-phone.invalid)\n")])
        backup_tgz = targz_bytes([("backup/" + n, d) for n, d in meshes] +
                                 [("backup/config.json", b'{"relay":"relay.nightjar-comms.invalid","v":"NJ-CONFIG-V2"}')])
        damaged = zip_bytes([("first.txt", b"intact member\n"),
                             ("second.bin", filler(rng, 4000) + b"ro.debuggable=1" + filler(rng, 4000))])
        damaged = damaged[:len(damaged) // 2]  # cut in the middle of the second member
        userdata_root = os.path.join(work, "userdata")
        stage(userdata_root, [("/media/appdata.simg", sparse), ("/media/export.zip", export_zip),
                              ("/media/backup.tar.gz", backup_tgz), ("/media/damaged.zip", damaged)])
        userdata_img = os.path.join(work, "userdata.img")
        mke2fs(userdata_root, userdata_img, 12, "userdata")

        parts = []
        for name, path in (("system", system_img), ("vendor", vendor_img), ("userdata", userdata_img)):
            with open(path, "rb") as f:
                parts.append((name, f.read()))
        gpt_disk(args.output, [("boot", boot)] + parts, 32)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
