// EXAMPLE PACK: indicators of an INVENTED encrypted-communication platform ("Nightjar"). Every string is
// synthetic (reserved .invalid domains, example package names); the pack shows labs how to package their
// own indicators and is exercised by the samples generator. It detects nothing real.
rule Example_Nightjar_Client_Config
{
  meta:
    description = "Configuration of the invented Nightjar secure-messaging client (synthetic example)"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "high"
    synthetic = true
  strings:
    $relay = "relay.nightjar-comms.invalid"
    $package = "com.example.nightjar.messenger"
    $marker = "NJ-CONFIG-V2"
  condition:
    2 of them
}

rule Example_Nightjar_Provisioning_Token
{
  meta:
    description = "Provisioning token format of the invented Nightjar platform (synthetic example)"
    author = "interdict firmware-scan team"
    date = "2026-11-29"
    severity = "high"
    synthetic = true
  strings:
    $token = /NJTOKEN-[0-9A-F]{8}-[0-9A-F]{8}/
  condition:
    $token
}
