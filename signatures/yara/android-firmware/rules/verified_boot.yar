// Verified-boot and bootloader state as written on kernel command lines and in properties.
rule Android_Bootloader_Unlocked
{
  meta:
    description = "Bootloader unlocked or verified boot in orange/yellow state"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "warning"
  strings:
    $orange = "verifiedbootstate=orange"
    $yellow = "verifiedbootstate=yellow"
    $unlocked = "androidboot.flash.locked=0"
    $prop_unlocked = "ro.boot.flash.locked=0"
    $vbmeta_disabled = "androidboot.vbmeta.device_state=unlocked"
  condition:
    any of them
}

rule Android_VBMeta_Image
{
  meta:
    description = "Android Verified Boot vbmeta structure (AVB0 header)"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
  strings:
    $magic = { 41 56 42 30 00 00 00 01 }
  condition:
    $magic at 0
}
