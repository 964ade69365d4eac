// The root partition's ext4 superblock after a power cut. The kernel rewrites the superblock
// (1 KiB, two sectors) at every read-write mount, outside the journal; a power cut between its
// two sectors leaves one half new and one half old, and with metadata_csum the checksum then
// matches neither: blkid no longer recognises the partition and the kernel refuses to mount it.
// Every boot would fail the same way (found by the block-level crash states, tests/blockcrash).
// Each field is still from one of two consecutive versions of the same superblock, so the
// contents are sound: recomputing the checksum is the repair (what e2fsck offers for it).
#pragma once

#include <cstdint>
#include <string>

#include "base/result.hpp"

namespace lota {

// CRC-32C (Castagnoli) as ext4 computes it: the kernel's crc32c(seed, data), no final inversion.
uint32_t ext4_crc32c(uint32_t seed, const void* data, size_t size);

// Checks the primary superblock of the ext2/3/4 file system on `device`. Returns true when its
// checksum was torn and has been recomputed (synced); false when there is nothing to repair (the
// checksum matches, no metadata_csum, or not ext4); an error when the superblock is damaged
// beyond a torn checksum (fields a mount never changes disagree with the backup superblock,
// garbage in its reserved tail) or cannot be written.
Result<bool> repair_torn_ext4_superblock(const std::string& device);

}  // namespace lota
