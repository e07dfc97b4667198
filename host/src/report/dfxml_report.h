// The DFXML export (schema: dfxml-working-group/dfxml_schema@a80a8619, validated with
// `xmllint --noout --schema dfxml.xsd` in tests).
//
//   <dfxml version="1.2.0">
//     <metadata>   Dublin Core: type, identifier (case UUID), description
//     <creator>    program, version, build_environment/compiler, execution_environment (os, host, arch,
//                  command line, start time), library*
//     <source>     image_filename per evidence item (its label and source)
//     <fileobject> per stored artifact: filename per known name (location chain), filesize, byte_runs
//                  where the location gives an image offset, hashdigest md5/sha1/sha256, then
//                  <interdict:finding> elements for the findings on that artifact
//     <interdict:job>*  every plugin job with its outcome (failures are never left out)
//   </dfxml>
// Our own elements live in the namespace kInterdictDfxmlNamespace, where the schema allows ##other.
#ifndef INTERDICT_REPORT_DFXML_REPORT_H_
#define INTERDICT_REPORT_DFXML_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "report/report_model.h"

namespace interdict {

inline constexpr char kDfxmlNamespace[] = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML";
inline constexpr char kDfxmlVersion[] = "1.2.0";
inline constexpr char kInterdictDfxmlNamespace[] = "urn:interdict:dfxml:1";

// The image offset a one-hop location chain names ("handset.img@0x8000000[gpt:userdata]" -> 0x8000000);
// nullopt for deeper chains, whose bytes are not contiguous in the image.
std::optional<uint64_t> ImageOffsetFromLocation(std::string_view location);

std::string RenderDfxml(const ReportModel& model);

}  // namespace interdict

#endif  // INTERDICT_REPORT_DFXML_REPORT_H_
