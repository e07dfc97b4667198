// Curve25519 / Ed25519 field prime and the Edwards curve constant d, little-endian as in ref10 code.
rule Crypto_Curve25519_Constants
{
  meta:
    description = "Curve25519 field prime 2^255-19 or Ed25519 constant d"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
    reference = "RFC 7748 section 4.1; RFC 8032 section 5.1"
  strings:
    $prime = { ED FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF 7F }
    $d = { A3 78 59 13 CA 4D EB 75 AB D8 41 41 4D 0A 70 00 98 E8 79 77 79 40 C7 8C 73 FE 6F 2B EE 6C 03 52 }
  condition:
    any of them
}
