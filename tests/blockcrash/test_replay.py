#!/usr/bin/env python3
"""tests/blockcrash/test_replay.py: replay.py against real blklogwrites logs, written by qemu-io
(Debian qemu-utils) through QEMU's blklogwrites driver on a scratch image: requests and flush
epochs read back as issued, every state named and reproducible from its seed, and each state's
image holding exactly the writes its name says. Exit status 1 on the first failed check."""
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay  # noqa: E402

failures = []


def check(what, ok):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def record(work, commands):
    """runs qemu-io `commands` on a 1 MiB zeroed image through blklogwrites; returns (image, log)"""
    image, log = os.path.join(work, "disk.img"), os.path.join(work, "disk.writes")
    with open(image, "wb") as f:
        f.truncate(1 << 20)
    open(log, "wb").close()
    opts = (f"driver=blklogwrites,file.driver=file,file.filename={image},log.driver=file,"
            f"log.filename={log},log-sector-size=512,log-append=off")
    args = ["qemu-io", "--image-opts", opts]
    for c in commands:
        args += ["-c", c]
    subprocess.run(args, check=True, capture_output=True)
    return image, log


def digest(base, writes):
    with tempfile.NamedTemporaryFile() as t:
        with open(base, "rb") as f:
            t.write(f.read())
        t.flush()
        replay.apply(t.name, writes)
        return hashlib.sha256(open(t.name, "rb").read()).hexdigest()


def main():
    work = tempfile.mkdtemp(prefix="test-replay-")
    try:
        run(work)
    finally:
        subprocess.run(["rm", "-rf", work])
    print(f"test_replay: {len(failures)} failed")
    sys.exit(1 if failures else 0)


def run(work):
    # Requests: 8 sectors at 0; a flush; 2 sectors at 16, 1 at 128, 2 at 130 (adjacent to nothing
    # written just before it, so its own request), 1 at 17 again (a sector written twice).
    _, log = record(work, ["write -P 0xaa 0 4k", "flush", "write -P 0xbb 8k 1k", "write -P 0xcc 64k 512",
                           "write -P 0xdd 65k 1k", "write -P 0xee 8704 512"])
    base = os.path.join(work, "zero.img")
    with open(base, "wb") as f:
        f.truncate(1 << 20)
    reqs = replay.requests(log)
    check(f"SD requests read back as issued: {[(s, len(d) // 512) for s, d in reqs]}",
          [(s, len(d) // 512) for s, d in reqs] == [(0, 8), (16, 2), (128, 1), (130, 2), (17, 1)])
    check("request data is what was written", reqs[0][1] == b"\xaa" * 4096 and reqs[4][1] == b"\xee" * 512)
    eps = replay.epochs(log)
    # qemu-io's flushes are the one asked for and those its block layer adds; the log says which.
    flushes = sum(1 for _i, _s, _c, flags in replay.write_log.entries(log) if flags & replay.write_log.FLUSH)
    check(f"epochs: one more than the flushes logged ({flushes}), the writes in them in order",
          len(eps) == flushes + 1 and [(s, d) for e in eps for s, d, _ in e] == reqs and eps[0] == [(0, reqs[0][1], False)])

    states = replay.sd_states(reqs, 4, 7)
    names = [n for n, _ in states]
    check("SD: every prefix, 0 .. all", [n for n in names if n.startswith("prefix")] ==
          [f"prefix {k}" for k in range(len(reqs) + 1)])
    check("SD: each multi-sector request torn at seeded inner sectors (8 sectors, 4 tears: 4 drawn; 2: its 1)",
          len([n for n in names if n.startswith("torn 0.")]) == 4 and "torn 1.1" in names and
          "torn 3.1" in names and not any(n.startswith("torn 2.") for n in names))
    check("SD: names are unique", len(set(names)) == len(names))
    check("SD: the same seed, the same states", replay.sd_states(reqs, 4, 7) == states)
    torn = dict(states)["torn 1.1"]
    check("SD: torn 1.1 is request 0 whole and the first sector of request 1",
          torn == [reqs[0], (16, reqs[1][1][:512])])
    # Sector 17 is written twice: replayed in order, the later write is what the image holds.
    with tempfile.NamedTemporaryFile() as t:
        with open(base, "rb") as f:
            t.write(f.read())
        t.flush()
        replay.apply(t.name, dict(states)["prefix 5"])
        t.seek(17 * 512)
        last = t.read(512)
    check("SD: replayed in order, the last write of a sector wins", last == b"\xee" * 512)
    check("SD: distinct prefixes make distinct images",
          len({digest(base, dict(states)[f"prefix {k}"]) for k in range(len(reqs) + 1)}) == len(reqs) + 1)

    em = replay.emmc_states(eps, 8, 3)
    en = [n for n, _ in em]
    check("eMMC: every flush boundary, and the end", [n for n in en if n.startswith("flush")] ==
          [f"flush {e}" for e in range(len(eps) + 1)])
    check("eMMC: subsets named by epoch, cut and subset, unique",
          len(set(en)) == len(en) and all(n.startswith(("flush ", "epoch ")) for n in en))
    check("eMMC: the same seed, the same states", replay.emmc_states(eps, 8, 3) == em)
    check("eMMC: another seed, other subsets", replay.emmc_states(eps, 8, 4) != em)
    ok = True
    for name, writes in em:
        if not name.startswith("epoch "):
            continue
        e, cut = int(name.split()[1]), int(name.split()[3])
        durable = [(s, d) for ep in eps[:e] for s, d, _ in ep]
        # All that came before the epoch's flush, then only sectors of its first `cut` writes,
        # each sector with data one of those writes gave it.
        allowed = {}
        for s, d, _fua in eps[e][:cut]:
            for i in range(len(d) // 512):
                allowed.setdefault(s + i, set()).add(d[i * 512:(i + 1) * 512])
        ok &= writes[:len(durable)] == durable
        for s, d in writes[len(durable):]:
            ok &= all(d[i * 512:(i + 1) * 512] in allowed.get(s + i, set()) for i in range(len(d) // 512))
    check("eMMC: an epoch's subsets hold all before its flush and only pieces of its first writes", bool(ok))
    many = replay.emmc_states(eps, 32, 3)

    def tears(name, writes):
        """a multi-sector write of the state's epoch, of which some sectors and not all persisted"""
        e = int(name.split()[1])
        tail = set(writes[sum(len(ep) for ep in eps[:e]):])
        for first, data, _fua in eps[e]:
            n = len(data) // 512
            pieces = {(first + i, data[i * 512:(i + 1) * 512]) for i in range(n)}
            if n > 1 and (first, data) not in tail and 0 < len(pieces & tail) < n:
                return True
        return False
    check("eMMC: some subsets tear a multi-sector write (some of its sectors, not all)",
          any(tears(n, w) for n, w in many if n.startswith("epoch ")))


if __name__ == "__main__":
    main()
