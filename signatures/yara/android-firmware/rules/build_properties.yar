// Android build properties: identify the build and flag builds that are not production-locked.
rule Android_Build_Fingerprint
{
  meta:
    description = "Android build fingerprint property (identifies vendor, device and build)"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "info"
  strings:
    $fp = "ro.build.fingerprint="
    $vendor_fp = "ro.vendor.build.fingerprint="
    $system_fp = "ro.system.build.fingerprint="
  condition:
    any of them
}

rule Android_Insecure_Build_Properties
{
  meta:
    description = "Debuggable or non-secure Android build properties (engineering/userdebug image or modified build)"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "notice"
  strings:
    $debuggable = "ro.debuggable=1"
    $insecure = "ro.secure=0"
    $adb_insecure = "ro.adb.secure=0"
  condition:
    any of them
}
