#include "ext_superblock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "unique_fd.hpp"

namespace lota {
namespace {

// struct ext4_super_block (linux/fs/ext4/ext4.h): the offsets this repair reads.
constexpr off_t kOffset = 1024;  // the primary superblock, in bytes from the partition's start
constexpr size_t kSize = 1024;
constexpr size_t kMagic = 0x38, kLogBlockSize = 0x18, kBlocksCount = 0x04, kInodesCount = 0x00,
                 kRevLevel = 0x4C, kFeatureRoCompat = 0x64, kChecksumType = 0x175, kChecksum = 0x3FC;
constexpr uint32_t kRoCompatMetadataCsum = 0x400;

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

const std::array<uint32_t, 256>& crc32c_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

}  // namespace

// Hand-written: none of lota's libraries exports CRC-32C (util-linux has one inside libblkid,
// not in its API). Table-driven, reflected polynomial 0x82F63B78.
uint32_t ext4_crc32c(uint32_t crc, const void* data, size_t size) {
  const auto& t = crc32c_table();
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) crc = t[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

Result<bool> repair_torn_ext4_superblock(const std::string& device) {
  UniqueFd fd(::open(device.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return errno_error("opening {}", device);
  uint8_t sb[kSize];
  if (::pread(fd.get(), sb, kSize, kOffset) != static_cast<ssize_t>(kSize)) return errno_error("reading {}", device);
  if (sb[kMagic] != 0x53 || sb[kMagic + 1] != 0xEF) return false;  // not ext2/3/4: not ours to judge
  if (!(le32(sb + kFeatureRoCompat) & kRoCompatMetadataCsum)) return false;
  uint32_t want = ext4_crc32c(~0u, sb, kChecksum);
  if (le32(sb + kChecksum) == want) return false;
  // A torn write mixes two versions of *this* superblock; anything else is not repaired here.
  if (le32(sb + kRevLevel) != 1 || sb[kChecksumType] != 1 || le32(sb + kLogBlockSize) > 6 ||
      le32(sb + kBlocksCount) == 0 || le32(sb + kInodesCount) == 0)
    return make_error("{}: the ext4 superblock is damaged beyond a torn checksum; reflash the root partition", device);
  for (int i = 0; i < 4; ++i) sb[kChecksum + i] = static_cast<uint8_t>(want >> (8 * i));
  if (::pwrite(fd.get(), sb, kSize, kOffset) != static_cast<ssize_t>(kSize) || ::fsync(fd.get()) != 0)
    return errno_error("writing the superblock of {}", device);
  return true;
}

}  // namespace lota
