"""Crash states of a card from a blklogwrites log (qemu/run --write-log) and the image the log
started from. Each state is a name and the writes that reached the medium, in order; `apply`
writes them into a copy of the start image. Two models of the medium:

SD (the card on QEMU's SD controller): it shows the guest no volatile cache, so every completed
write is durable, in completion order, and the guest issues no flushes. QEMU's SD model logs each
512-byte block of a multi-block command as a write of its own, so one guest request is a run of
consecutive sectors; it is taken back together here (two requests that happen to be adjacent
become one, which only removes states).
  prefix k   the first k requests durable, nothing of the rest (k = 0 .. all);
  torn k.j   the first k requests, and the first j sectors of request k (its tail old): a power
             cut in the middle of a multi-block write. Up to `tears` cut points per request,
             drawn with the seed (all of them when the request is short).

eMMC with its cache on (the vexpress-a9-emmc profile: virtio-blk with a write-back cache): a
flush makes every write completed before it durable; between two flushes, writes persist in any
order or not at all, and a multi-sector write may persist in part (some sectors new, the rest
old); a write with FUA is durable when it completes.
  flush e        every write before the e-th flush durable, nothing after (e = 0 .. all);
  epoch e cut t subset i
                 the writes before flush e, then of the writes after it the first t to
                 complete: each one that has FUA, and a seeded random subset of the others,
                 each of those whole or, drawn too, torn (a random subset of its sectors).
                 `subsets` such states per epoch."""
import importlib.machinery
import os
import random

_here = os.path.dirname(os.path.abspath(__file__))
write_log = importlib.machinery.SourceFileLoader(
    "write_log", os.path.join(_here, "..", "..", "qemu", "write-log")).load_module()


def requests(log):
    """SD model: [(first sector, data)] in completion order, one per guest request"""
    out = []  # [first sector, bytearray]
    for _index, sector, count, flags, data in write_log.entries(log, with_data=True):
        if count == 0 or flags & (write_log.DISCARD | write_log.MARK):
            continue
        if out and out[-1][0] + len(out[-1][1]) // 512 == sector:
            out[-1][1].extend(data)
        else:
            out.append([sector, bytearray(data)])
    return [(sector, bytes(data)) for sector, data in out]


def epochs(log):
    """eMMC model: [[(first sector, data, fua)]]: the writes between two flushes, in completion order"""
    out = [[]]
    for _index, sector, count, flags, data in write_log.entries(log, with_data=True):
        if flags & write_log.FLUSH:
            out.append([])
        if count == 0 or flags & (write_log.DISCARD | write_log.MARK):
            continue
        out[-1].append((sector, data, bool(flags & write_log.FUA)))
    return out


def sd_states(reqs, tears, seed):
    rng = random.Random(seed)
    out = [(f"prefix {k}", reqs[:k]) for k in range(len(reqs) + 1)]
    for k, (sector, data) in enumerate(reqs):
        n = len(data) // 512
        cuts = list(range(1, n))
        if len(cuts) > tears:
            cuts = sorted(rng.sample(cuts, tears))
        out += [(f"torn {k}.{j}", reqs[:k] + [(sector, data[:j * 512])]) for j in cuts]
    return out


def torn(rng, sector, data):
    """a random nonempty proper subset of the write's sectors, as single-sector writes"""
    n = len(data) // 512
    keep = sorted(rng.sample(range(n), rng.randint(1, n - 1)))
    return [(sector + i, data[i * 512:(i + 1) * 512]) for i in keep]


def emmc_states(eps, subsets, seed):
    rng = random.Random(seed)
    whole = lambda e: [(s, d) for ep in eps[:e] for s, d, _ in ep]  # noqa: E731
    out = [(f"flush {e}", whole(e)) for e in range(len(eps))]
    out.append((f"flush {len(eps)}", whole(len(eps))))  # everything: the boot's end
    for e, ep in enumerate(eps):
        for i in range(subsets if ep else 0):
            t = rng.randint(1, len(ep))
            writes = whole(e)
            for sector, data, fua in ep[:t]:
                if not fua and rng.random() < 0.5:
                    continue
                if not fua and len(data) > 512 and rng.random() < 0.3:
                    writes += torn(rng, sector, data)
                else:
                    writes.append((sector, data))
            out.append((f"epoch {e} cut {t} subset {i}", writes))
    return out


def apply(image, writes):
    """writes the state (its writes, in order) into IMAGE, a copy of the start image"""
    with open(image, "r+b") as f:
        for sector, data in writes:
            f.seek(sector * 512)
            f.write(data)
