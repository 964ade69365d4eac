// Whole-file reads and crash-safe whole-file writes.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace lota {

Result<std::string> read_file(const std::string& path);

// fsync(2) of a directory: its entries (a rename, a new or removed name) are durable.
Status fsync_dir(const std::string& dir);

// Write temp, fsync, rename over `path`, fsync the directory: after a power cut the file is
// either the old or the new content, never a mix.
Status write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0644);
// Writes `path` under its own name (created or truncated) and fsyncs it, for files a reader
// checks by content, on file systems where rename is not atomic (FAT: the boot partition).
Status write_file_synced(const std::string& path, std::string_view content, unsigned mode = 0644);

}  // namespace lota
