#!/usr/bin/env python3
"""Writes the small seed corpora of the firmware-scan fuzz targets into tests/fuzz/corpus/fwscan_fuzz_*/.
Built from the same synthetic pieces as the handset image generator; each seed is a few KiB, plus a
truncated and a bit-flipped variant so the replay also walks the damage paths."""
import io
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "samples", "handset"))
import make_handset_image as gen  # noqa: E402


def write(target, name, data):
    d = os.path.join(ROOT, "tests", "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    for suffix, blob in (("", data), (".truncated", data[: max(1, len(data) * 2 // 3)]),
                         (".flipped", bytes(b ^ (0x5A if i % 97 == 13 else 0) for i, b in enumerate(data)))):
        with open(os.path.join(d, name + suffix), "wb") as f:
            f.write(blob)


def main():
    rng = gen.random.Random(7)
    work = tempfile.mkdtemp()
    # Partitions: a 64 KiB GPT disk with two tiny partitions, and an MBR with an extended partition.
    disk = os.path.join(work, "disk.img")
    gen.gpt_disk(disk, [("boot", b"A" * 600), ("data", b"B" * 600)], 4)
    with open(disk, "rb") as f:
        gpt = f.read()
    write("fwscan_fuzz_partitions", "gpt.img", gpt[:2048 * 512 + 1024 * 512][: 64 * 1024])
    mbr = bytearray(64 * 1024)
    mbr[446:462] = gen.struct.pack("<BBBBBBBBII", 0x80, 0, 0, 0, 0x83, 0, 0, 0, 8, 16)
    mbr[462:478] = gen.struct.pack("<BBBBBBBBII", 0, 0, 0, 0, 0x05, 0, 0, 0, 32, 64)
    mbr[510:512] = b"\x55\xaa"
    ebr = 32 * 512
    mbr[ebr + 446:ebr + 462] = gen.struct.pack("<BBBBBBBBII", 0, 0, 0, 0, 0x83, 0, 0, 0, 2, 8)
    mbr[ebr + 510:ebr + 512] = b"\x55\xaa"
    write("fwscan_fuzz_partitions", "mbr.img", bytes(mbr))
    # Android sparse image of a small file.
    raw = os.path.join(work, "raw.img")
    with open(raw, "wb") as f:
        f.write(gen.filler(rng, 4096) + bytes(8192) + b"\xAA\xBB\xCC\xDD" * 1024)
    simg = os.path.join(work, "raw.simg")
    subprocess.run(["img2simg", raw, simg], check=True)
    with open(simg, "rb") as f:
        write("fwscan_fuzz_android_sparse", "small.simg", f.read())
    # Boot images v2 and a v3-shaped header.
    ramdisk = gen.gzip_bytes(gen.cpio_newc([("init.rc", b"on init\n", 0o100644)]))
    boot = gen.boot_image_v2(gen.filler(rng, 3000), ramdisk, b"\xd0\x0d\xfe\xed" + bytes(60), b"console=null")
    write("fwscan_fuzz_android_boot", "v2.img", boot)
    v3 = bytearray(4096)
    v3[0:8] = b"ANDROID!"
    gen.struct.pack_into("<IIII", v3, 8, 1000, len(ramdisk), 0, 1580)
    gen.struct.pack_into("<I", v3, 40, 3)
    write("fwscan_fuzz_android_boot", "v3.img", bytes(v3) + gen.filler(rng, 1000) + bytes(3096) + ramdisk)
    # Archives.
    write("fwscan_fuzz_archive", "a.zip", gen.zip_bytes([("a.txt", b"hello " * 50), ("b/c.bin", gen.filler(rng, 500))]))
    write("fwscan_fuzz_archive", "a.tar.gz", gen.targz_bytes([("x.txt", b"tar member " * 30)]))
    write("fwscan_fuzz_archive", "a.cpio.gz", ramdisk)
    # ext4 and squashfs.
    root = os.path.join(work, "fsroot")
    gen.stage(root, [("/a/b.txt", b"ext4 member\n"), ("/c.bin", gen.filler(rng, 3000))])
    ext4 = os.path.join(work, "small.ext4")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-N", "16", "-O", "^has_journal,^resize_inode",
                    "-d", root, ext4, "128K"], check=True, stderr=subprocess.DEVNULL)
    with open(ext4, "rb") as f:
        write("fwscan_fuzz_ext4", "small.ext4", f.read())
    sqfs = os.path.join(work, "small.sqfs")
    subprocess.run(["mksquashfs", root, sqfs, "-quiet", "-noappend", "-all-root", "-no-xattrs", "-mkfs-time", "0",
                    "-all-time", "0"], check=True, stdout=subprocess.DEVNULL)
    with open(sqfs, "rb") as f:
        write("fwscan_fuzz_squashfs", "small.sqfs", f.read())
    # Carving: a blob with an embedded gzip stream and an embedded ELF.
    blob = gen.filler(rng, 700) + gen.gzip_bytes(b"inner " * 100) + gen.filler(rng, 300) + gen.tiny_elf(b"payload" * 20)
    write("fwscan_fuzz_carve", "blob.bin", blob)
    # The whole walk: a boot image inside a zip, and the GPT disk.
    write("fwscan_fuzz_walker", "nested.zip", gen.zip_bytes([("boot.img", boot), ("inner.zip", gen.zip_bytes([("x", b"interdict")]))]))
    write("fwscan_fuzz_walker", "disk.img", gpt[: 64 * 1024])
    ewf_seeds(work, gpt[: 64 * 1024])


def ewf_seeds(work, disk):
    """An E01 (EnCase 6, deflate) of the 64 KiB GPT disk, acquired with ewfacquire as a lab would."""
    raw = os.path.join(work, "ewf-disk.img")
    with open(raw, "wb") as f:
        f.write(disk)
    base = os.path.join(work, "seed")
    subprocess.run(["ewfacquire", "-u", "-q", "-t", base, "-c", "deflate:best", "-C", "fuzz-case", "-e", "fuzz",
                    "-d", "sha1", raw], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(base + ".E01", "rb") as f:
        write("fwscan_fuzz_ewf", "disk.E01", f.read())


if __name__ == "__main__":
    main()
