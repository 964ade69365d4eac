"""Crash states of an SD card from a blklogwrites log (qemu/run --write-log) and the image the
log started from.

QEMU's SD card shows the guest no volatile cache: every completed write is durable, in
completion order, and the guest issues no flushes. QEMU's SD model also logs each 512-byte
block of a multi-block command as a write of its own, so one guest request is a run of
consecutive sectors; it is taken back together here (two requests that happen to be adjacent
become one, which only removes states). The SD model's crash states are then:
  prefix k   the first k requests durable, nothing of the rest (k = 0 .. all);
  torn k.j   the first k requests, and the first j sectors of request k+1 (its tail old): a
             power cut in the middle of a multi-block write. Up to `tears` cut points per
             request, drawn with the seed (all of them when the request is short).
Each state is named; `apply` rebuilds it into a copy of the start image."""
import importlib.machinery
import os
import random

_here = os.path.dirname(os.path.abspath(__file__))
write_log = importlib.machinery.SourceFileLoader(
    "write_log", os.path.join(_here, "..", "..", "qemu", "write-log")).load_module()


def requests(log):
    """[(first sector, data)] in completion order, one per guest request"""
    out = []  # [first sector, bytearray]
    for _index, sector, count, flags, data in write_log.entries(log, with_data=True):
        if count == 0 or flags & (write_log.DISCARD | write_log.MARK):
            continue
        if out and out[-1][0] + len(out[-1][1]) // 512 == sector:
            out[-1][1].extend(data)
        else:
            out.append([sector, bytearray(data)])
    return [(sector, bytes(data)) for sector, data in out]


def states(reqs, tears, seed):
    """[(name, k, j)]: the first k requests whole, then j sectors of request k (0: none)"""
    rng = random.Random(seed)
    out = [(f"prefix {k}", k, 0) for k in range(len(reqs) + 1)]
    for k, (_sector, data) in enumerate(reqs):
        n = len(data) // 512
        cuts = list(range(1, n))
        if len(cuts) > tears:
            cuts = sorted(rng.sample(cuts, tears))
        out += [(f"torn {k}.{j}", k, j) for j in cuts]
    return out


def apply(image, reqs, k, j):
    """writes the state (k, j) into IMAGE, a copy of the start image"""
    with open(image, "r+b") as f:
        for sector, data in reqs[:k]:
            f.seek(sector * 512)
            f.write(data)
        if j:
            sector, data = reqs[k]
            f.seek(sector * 512)
            f.write(data[:j * 512])
