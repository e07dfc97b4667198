// Constructors of the concrete image writers, used by CreateImageWriter/ResumeImageWriter.
#ifndef INTERDICT_USB_IMAGER_OUTPUT_WRITERS_H_
#define INTERDICT_USB_IMAGER_OUTPUT_WRITERS_H_

#include "output/image_writer.h"

namespace interdict::usb {

Result<std::unique_ptr<ImageWriter>> CreateRawImageWriter(const ImageWriterOptions& options);
Result<std::unique_ptr<ImageWriter>> ReopenRawImageWriter(const ImageWriterOptions& options, uint64_t resume_offset);
Result<std::unique_ptr<ImageWriter>> CreateEwfImageWriter(const ImageWriterOptions& options);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_OUTPUT_WRITERS_H_
