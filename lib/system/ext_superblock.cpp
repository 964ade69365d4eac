#include "system/ext_superblock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "base/unique_fd.hpp"

namespace lota {
namespace {

// struct ext4_super_block (linux/fs/ext4/ext4.h): the offsets this repair reads.
constexpr off_t kOffset = 1024;  // the primary superblock, in bytes from the partition's start
constexpr size_t kSize = 1024;
constexpr size_t kFirstDataBlock = 0x14, kLogBlockSize = 0x18, kBlocksPerGroup = 0x20, kInodesPerGroup = 0x28,
                 kMagic = 0x38, kRevLevel = 0x4C, kInodeSize = 0x58, kFeatureCompat = 0x5C, kFeatureIncompat = 0x60,
                 kFeatureRoCompat = 0x64, kUuid = 0x68, kJournalInum = 0xE0, kChecksumType = 0x175, kBackupBgs = 0x24C,
                 kChecksumSeed = 0x270, kReserved = 0x284, kChecksum = 0x3FC;
constexpr uint32_t kRoCompatMetadataCsum = 0x400, kCompatSparseSuper2 = 0x200;
// Set in the primary only, by the kernel while mounted: not compared with the backup.
constexpr uint32_t kIncompatRecover = 0x4, kRoCompatOrphanPresent = 0x10000;

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// The fields a mount never changes, in both halves of the superblock, agree with the backup in
// the first backup group, and the reserved tail is zero: then the two halves are two versions of
// this file system's superblock, not garbage or bit rot that a fresh checksum would make look
// sound. (The backup is as old as the last mkfs, tune2fs or resize; these fields are too.)
bool agrees_with_backup(int fd, const uint8_t* sb) {
  uint32_t log = le32(sb + kLogBlockSize);
  if (le32(sb + kRevLevel) != 1 || sb[kChecksumType] != 1 || log > 6 || le32(sb + kBlocksPerGroup) == 0) return false;
  for (size_t i = kReserved; i < kChecksum; ++i)
    if (sb[i] != 0) return false;
  uint64_t block = 1024ull << log, group = 1;
  if (le32(sb + kFeatureCompat) & kCompatSparseSuper2) group = le32(sb + kBackupBgs);
  if (group == 0) return false;  // sparse_super2 with no backup: nothing to judge by
  uint64_t at = (le32(sb + kFirstDataBlock) + group * le32(sb + kBlocksPerGroup)) * block;
  uint8_t backup[kSize];
  if (::pread(fd, backup, kSize, static_cast<off_t>(at)) != static_cast<ssize_t>(kSize)) return false;
  auto same = [&](size_t off, size_t n) { return std::memcmp(sb + off, backup + off, n) == 0; };
  return same(kMagic, 2) && same(kFirstDataBlock, 8) && same(kBlocksPerGroup, 4) && same(kInodesPerGroup, 4) &&
         same(kRevLevel, 4) && same(kInodeSize, 2) && same(kFeatureCompat, 4) && same(kUuid, 16) &&
         same(kJournalInum, 4) && same(kChecksumType, 1) && same(kChecksumSeed, 4) &&
         (le32(sb + kFeatureIncompat) & ~kIncompatRecover) == (le32(backup + kFeatureIncompat) & ~kIncompatRecover) &&
         (le32(sb + kFeatureRoCompat) & ~kRoCompatOrphanPresent) ==
             (le32(backup + kFeatureRoCompat) & ~kRoCompatOrphanPresent);
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
  if (!agrees_with_backup(fd.get(), sb))
    return make_error("{}: the ext4 superblock is damaged beyond a torn checksum; reflash the root partition", device);
  for (int i = 0; i < 4; ++i) sb[kChecksum + i] = static_cast<uint8_t>(want >> (8 * i));
  if (::pwrite(fd.get(), sb, kSize, kOffset) != static_cast<ssize_t>(kSize) || ::fsync(fd.get()) != 0)
    return errno_error("writing the superblock of {}", device);
  return true;
}

}  // namespace lota
