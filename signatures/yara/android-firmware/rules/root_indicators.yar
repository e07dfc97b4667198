// Traces of rooting tools left in system images and app lists.
rule Android_Root_Indicators
{
  meta:
    description = "su binary paths or rooting-tool package names"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "warning"
  strings:
    $su_xbin = "/system/xbin/su"
    $su_sbin = "/sbin/su" fullword
    $magisk = "com.topjohnwu.magisk"
    $magiskinit = "magiskinit"
    $supersu = "eu.chainfire.supersu"
  condition:
    any of them
}
