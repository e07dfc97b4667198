// Salsa20 / ChaCha "sigma" and "tau" constants.
rule Crypto_ChaCha_Salsa_Sigma
{
  meta:
    description = "Salsa20/ChaCha constant \"expand 32-byte k\" or \"expand 16-byte k\""
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
    reference = "Bernstein, Salsa20 specification, section 9"
  strings:
    $sigma = "expand 32-byte k"
    $tau = "expand 16-byte k"
  condition:
    any of them
}
