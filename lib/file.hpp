// Whole-file reads and crash-safe whole-file writes.
#pragma once

#include <string>
#include <string_view>

#include "result.hpp"

namespace lota {

Result<std::string> read_file(const std::string& path);

// Write temp, fsync, rename over `path`, fsync the directory: after a power cut the file is
// either the old or the new content, never a mix.
Status write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0644);

}  // namespace lota
