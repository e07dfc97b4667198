# Writes plugin.json for a freshly built plugin library. Invoked with -P from interdict_add_plugin.
file(SHA256 ${LIBRARY} PLUGIN_SHA256)
get_filename_component(PLUGIN_LIBRARY ${LIBRARY} NAME)
file(STRINGS ${ABI_HEADER} major_line REGEX "^#define INTERDICT_ABI_MAJOR ")
file(STRINGS ${ABI_HEADER} minor_line REGEX "^#define INTERDICT_ABI_MINOR ")
string(REGEX REPLACE ".* ([0-9]+).*" "\\1" ABI_MAJOR "${major_line}")
string(REGEX REPLACE ".* ([0-9]+).*" "\\1" ABI_MINOR "${minor_line}")
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
