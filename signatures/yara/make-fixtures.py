#!/usr/bin/env python3
"""Writes the tiny synthetic fixtures of the bundled YARA packs (positive and negative) and their
expected.json. Deterministic: a fixed-seed generator fills the padding. Run after changing a rule's
fixture needs, then `interdict rules test signatures/yara/<pack>`."""
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def pad(rng, n):
    # Filler bytes that cannot form any of the indicators: printable lowercase letters and spaces.
    return bytes(rng.choice(b"qwxz vjk") for _ in range(n))


def write_pack(pack, positive, negative):
    base = os.path.join(HERE, pack, "fixtures")
    for kind, items in (("positive", positive), ("negative", negative)):
        os.makedirs(os.path.join(base, kind), exist_ok=True)
        for name, data, _ in items:
            with open(os.path.join(base, kind, name), "wb") as f:
                f.write(data)
    expected = {
        "positive": {name: sorted(rules) for name, _, rules in positive},
        "negative": sorted(name for name, _, _ in negative),
    }
    with open(os.path.join(base, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    rng = random.Random(20261129)
    aes = bytes.fromhex("637c777bf26b6fc53001672bfed7ab76")
    inv = bytes.fromhex("52096ad53036a538bf40a39e81f3d7fb")
    sha256_iv = struct.pack("<8I", 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    sha512_iv = struct.pack(">2Q", 0x6a09e667f3bcc908, 0xbb67ae8584caa73b)
    md5_iv = struct.pack("<4I", 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476)
    p25519 = (2**255 - 19).to_bytes(32, "little")
    blowfish = struct.pack("<4I", 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344)
    write_pack("crypto-constants", [
        ("aes_tables.bin", pad(rng, 64) + aes + pad(rng, 32) + inv + pad(rng, 16),
         ["Crypto_AES_SBox", "Crypto_AES_InverseSBox"]),
        ("sha256_iv.bin", pad(rng, 40) + sha256_iv + pad(rng, 40), ["Crypto_SHA256_Constants"]),
        ("sha512_iv_be.bin", pad(rng, 8) + sha512_iv + pad(rng, 8), ["Crypto_SHA512_Constants"]),
        ("md5_iv.bin", md5_iv + pad(rng, 30), ["Crypto_MD5_Constants"]),
        ("chacha.bin", pad(rng, 10) + b"expand 32-byte k" + pad(rng, 10), ["Crypto_ChaCha_Salsa_Sigma"]),
        ("curve25519_prime.bin", pad(rng, 12) + p25519, ["Crypto_Curve25519_Constants"]),
        ("blowfish_p.bin", pad(rng, 5) + blowfish + pad(rng, 5), ["Crypto_Blowfish_Tables"]),
    ], [
        ("filler.bin", pad(rng, 512), []),
        ("near_miss.bin", aes[:15] + b"\x00" + b"expand 31-byte k" + sha256_iv[:12], []),
    ])
    write_pack("android-firmware", [
        ("build.prop", b"# begin build properties\nro.build.fingerprint=examplevendor/sample/sample:14/UP1A.000000/1:user/release-keys\nro.build.version.release=14\n",
         ["Android_Build_Fingerprint"]),
        ("default.prop", b"ro.secure=0\nro.debuggable=1\nro.adb.secure=0\n", ["Android_Insecure_Build_Properties"]),
        ("cmdline.txt", b"console=ttyMSM0 androidboot.verifiedbootstate=orange androidboot.flash.locked=0\n",
         ["Android_Bootloader_Unlocked"]),
        ("vbmeta.img", b"AVB0\x00\x00\x00\x01" + bytes(248), ["Android_VBMeta_Image"]),
        ("packages.list", b"com.android.settings 1000 0\ncom.topjohnwu.magisk 10123 0\n", ["Android_Root_Indicators"]),
    ], [
        ("locked_cmdline.txt", b"androidboot.verifiedbootstate=green androidboot.flash.locked=1\n", []),
        ("user_build.prop", b"ro.secure=1\nro.debuggable=0\nro.build.type=user\n", []),
        ("avb_not_at_start.bin", b"xx" + b"AVB0\x00\x00\x00\x01", []),
    ])
    write_pack("example-comms-indicators", [
        ("nightjar_config.json", b'{"server":"relay.nightjar-comms.invalid","marker":"NJ-CONFIG-V2"}\n',
         ["Example_Nightjar_Client_Config"]),
        ("nightjar_token.txt", b"provisioned with NJTOKEN-0A1B2C3D-DEADBEEF\n", ["Example_Nightjar_Provisioning_Token"]),
        ("kestrel_version.txt", b"KESTREL-OS build 7.1 (update.kestrel-phone.invalid)\n", ["Example_Kestrel_Hardened_Handset"]),
    ], [
        ("one_indicator_only.json", b'{"server":"relay.nightjar-comms.invalid"}\n', []),
        ("malformed_token.txt", b"NJTOKEN-0A1B2C3D-XYZ\n", []),
    ])


if __name__ == "__main__":
    main()
