"""A FAT12/16 file system read from an image's bytes: its geometry, directory tree, cluster
chains and the sectors each file depends on. Read-only and bounded by the image: a damaged
chain ends at a loop or at a cluster out of range, never runs on. Used by qemu/fat-writes
(which sectors a write touched) and tests/blockcrash (the FAT as U-Boot reads it)."""
import struct


class Fat:
    def __init__(self, disk):
        """disk: the partition's bytes. Raises ValueError when it holds no FAT12/16."""
        self.boot = disk[:512]
        if len(self.boot) < 512:
            raise ValueError("shorter than a boot sector")
        (bps, self.spc, self.reserved, self.nfats, root_entries, total16, _media, self.fat_sectors,
         _spt, _heads, _hidden, total32) = struct.unpack_from("<HBHBHHBHHHII", self.boot, 11)
        if bps != 512 or self.fat_sectors == 0 or self.spc == 0 or self.nfats == 0:
            raise ValueError("not a FAT12/16 file system with 512-byte sectors")
        self.root_start = self.reserved + self.nfats * self.fat_sectors
        self.root_sectors = (root_entries * 32 + 511) // 512
        self.data_start = self.root_start + self.root_sectors
        total = min(total16 or total32, len(disk) // 512)
        self.clusters = max(0, (total - self.data_start) // self.spc)
        self.bits = 12 if self.clusters < 4085 else 16
        self.fat = disk[self.reserved * 512:(self.reserved + self.fat_sectors) * 512]
        self.disk = disk

    @classmethod
    def of_image(cls, image, start):
        with open(image, "rb") as f:
            f.seek(start * 512)
            return cls(f.read(64 << 20))  # the boot partition is 32 MiB; bounded all the same

    def find(self, path):
        """(first cluster, size, is_dir) of PATH, or None"""
        cluster, found = 0, (0, 0, True)
        for part in [p for p in path.split("/") if p]:
            if not found[2]:
                return None
            e = next((e for e in self.entries(cluster) if e[0].lower() == part.lower()), None)
            if not e:
                return None
            cluster, found = e[1], (e[1], e[4], e[2])
        return found

    def read(self, path, limit=64 << 20):
        """the bytes of file PATH as a FAT reader (U-Boot's load) gets them, or None when it
        does not exist, is a directory, or its chain is shorter than its size"""
        found = self.find(path)
        if not found or found[2] or found[1] > limit:
            return None
        first, size, _ = found
        if size == 0:
            return b""
        out = bytearray()
        for c in self.chain(first):
            s = self.cluster_sectors(c)
            out += self.disk[s.start * 512:s.stop * 512]
            if len(out) >= size:
                return bytes(out[:size])
        return None

    def next_cluster(self, c):
        if self.bits == 16:
            return struct.unpack_from("<H", self.fat, c * 2)[0]
        v = struct.unpack_from("<H", self.fat, c * 3 // 2)[0]
        return v >> 4 if c & 1 else v & 0xFFF

    def chain(self, c):
        seen, order = set(), []
        while 2 <= c < self.clusters + 2 and c not in seen:
            seen.add(c)
            order.append(c)
            c = self.next_cluster(c)
        return order

    def cluster_sectors(self, c):
        first = self.data_start + (c - 2) * self.spc
        return range(first, first + self.spc)

    def fat_entry_sectors(self, c):
        offset = c * 2 if self.bits == 16 else c * 3 // 2
        last = offset + 1  # the entry's last byte: a FAT12 entry can straddle two sectors
        return {self.reserved + k * self.fat_sectors + o // 512 for k in range(self.nfats) for o in (offset, last)}

    def dir_sectors(self, cluster):
        if cluster == 0:
            return list(range(self.root_start, self.root_start + self.root_sectors))
        return [s for c in self.chain(cluster) for s in self.cluster_sectors(c)]

    def entries(self, cluster):
        """(name, first cluster, is_dir, the sectors of its entry and long-name slots)"""
        slots = []  # (sector, entry) of the long-name slots before a short entry
        for sector in self.dir_sectors(cluster):
            block = self.disk[sector * 512:(sector + 1) * 512]
            for i in range(16):
                e = block[i * 32:(i + 1) * 32]
                if e[0] == 0:
                    return
                if e[0] == 0xE5:
                    slots = []
                    continue
                if e[11] == 0x0F:
                    slots.append((sector, e))
                    continue
                short = e[0:8].decode("latin-1").rstrip()
                if e[8] != 0x20:
                    short += "." + e[8:11].decode("latin-1").rstrip()
                # Long-name slots are stored last part first.
                name = "".join((x[1:11] + x[14:26] + x[28:32]).decode("utf-16-le", "ignore").split("\x00")[0]
                               for _, x in reversed(slots))
                if short not in (".", "..") and not e[11] & 0x08:
                    yield name or short.lower(), struct.unpack_from("<H", e, 26)[0], bool(e[11] & 0x10), \
                        {sector} | {s for s, _ in slots}, struct.unpack_from("<I", e, 28)[0]
                slots = []

    def unit_sectors(self, path):
        """every sector the unit at PATH depends on, or None when it does not exist"""
        deps, cluster, found = set(), 0, None
        for part in [p for p in path.split("/") if p]:
            found = next((e for e in self.entries(cluster) if e[0].lower() == part.lower()), None)
            if not found:
                return None
            deps |= found[3]
            cluster = found[1]
        return deps | self.tree_sectors(found[1], found[2])

    def tree_sectors(self, cluster, is_dir):
        deps = set()
        for c in self.chain(cluster):
            deps |= set(self.cluster_sectors(c)) | self.fat_entry_sectors(c)
        if is_dir:
            for name, first, sub, slots, _size in self.entries(cluster):
                deps |= slots | self.tree_sectors(first, sub)
        return deps
