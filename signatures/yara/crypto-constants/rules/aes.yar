// AES (Rijndael) tables as compiled into software implementations.
rule Crypto_AES_SBox
{
  meta:
    description = "AES forward S-box (first 16 entries)"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
    reference = "FIPS 197, figure 7"
  strings:
    $sbox = { 63 7C 77 7B F2 6B 6F C5 30 01 67 2B FE D7 AB 76 }
  condition:
    $sbox
}

rule Crypto_AES_InverseSBox
{
  meta:
    description = "AES inverse S-box (first 16 entries)"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
    reference = "FIPS 197, figure 14"
  strings:
    $inv = { 52 09 6A D5 30 36 A5 38 BF 40 A3 9E 81 F3 D7 FB }
  condition:
    $inv
}
