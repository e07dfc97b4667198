// EXAMPLE PACK: a second INVENTED platform ("Kestrel"), synthetic strings only.
rule Example_Kestrel_Hardened_Handset
{
  meta:
    description = "Firmware marker of the invented Kestrel hardened-handset platform (synthetic example)"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "high"
    synthetic = true
  strings:
    $build = "KESTREL-OS build"
    $update = "update.kestrel-phone.invalid"
  condition:
    all of them
}
