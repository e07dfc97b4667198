// Initial hash values and round constants of SHA-2 and MD5, little- and big-endian word order.
rule Crypto_SHA256_Constants
{
  meta:
    description = "SHA-224/256 initial values or first round constants"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
    reference = "FIPS 180-4, 5.3.3 and 4.2.2"
  strings:
    $iv_le = { 67 E6 09 6A 85 AE 67 BB 72 F3 6E 3C 3A F5 4F A5 }
    $iv_be = { 6A 09 E6 67 BB 67 AE 85 3C 6E F3 72 A5 4F F5 3A }
    $k_le = { 98 2F 8A 42 91 44 37 71 CF FB C0 B5 A5 DB B5 E9 }
    $k_be = { 42 8A 2F 98 71 37 44 91 B5 C0 FB CF E9 B5 DB A5 }
  condition:
    any of them
}

rule Crypto_SHA512_Constants
{
  meta:
    description = "SHA-512 initial values (64-bit words)"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
    reference = "FIPS 180-4, 5.3.5"
  strings:
    $iv_le = { 08 C9 BC F3 67 E6 09 6A 3B A7 CA 84 85 AE 67 BB }
    $iv_be = { 6A 09 E6 67 F3 BC C9 08 BB 67 AE 85 84 CA A7 3B }
  condition:
    any of them
}

rule Crypto_MD5_Constants
{
  meta:
    description = "MD5 initial values or first sine-table constants"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
    reference = "RFC 1321, 3.3 and 3.4"
  strings:
    $iv = { 01 23 45 67 89 AB CD EF FE DC BA 98 76 54 32 10 }
    $t_le = { 78 A4 6A D7 56 B7 C7 E8 DB 70 20 24 EE CE BD C1 }
  condition:
    any of them
}
