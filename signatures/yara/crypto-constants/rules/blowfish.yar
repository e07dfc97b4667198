// Blowfish P-array and first S-box words (hexadecimal digits of pi).
rule Crypto_Blowfish_Tables
{
  meta:
    description = "Blowfish P-array or S-box initial values"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
    reference = "Schneier, Blowfish (1993)"
  strings:
    $p_le = { 88 6A 3F 24 D3 08 A3 85 2E 8A 19 13 44 73 70 03 }
    $p_be = { 24 3F 6A 88 85 A3 08 D3 13 19 8A 2E 03 70 73 44 }
    $s_le = { A6 0B 31 D1 AC B5 DF 98 DB 72 FD 2F B7 DF 1A D0 }
  condition:
    any of them
}
