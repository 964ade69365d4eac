#!/usr/bin/env python3
"""tests/blockcrash/check.py RECORDING --phase update|trial --model sd|emmc --port P [--tears N]
[--seed S] [--every N] [--jobs N] [--only NAME [--emit IMAGE]] [--control] [--regression NAME]
[--out FILE]: rebuilds every crash state of one recorded boot (qemu/block-crash-record;
replay.py: the SD model, or the cached-eMMC model for a card that showed a cache) and lives
each the way the device would. Every state gets step 1, every
Nth (--every) all three:

  1. the FAT as U-Boot reads it (uboot.py): some set must load, and its files must be a whole
     version's (1.0's or 2.1's); a set holding 2.1's new files is active only on trial (in the
     update boot, where nothing has confirmed it yet);
  2. lota's boot flow on the host (`lota boot-flow`, as lota-init runs it) against the state's
     own root partition (a loop device; the kernel replays the ext4 journal at mount) and a copy
     of its boot partition (an ext4 stand-in: this host's kernel has no vfat), with lota.bootset=
     and lota.bootcount= as U-Boot passes them and lota.verify=full; when it reboots, U-Boot's
     decision again on what it wrote, and so on (at most 4 boots);
  3. then: the deployed version's files verified against its commit (0 damaged, 0 corrupt
     objects), the kernel that switched root is the deployed version's, the journal's deployed
     commit is the repo's lota/deployed ref, the update completed (2.1 deployed: the server has
     it), the repository is fsck-clean (fsck.py: `ostree fsck --all`, and the kept versions'
     commits not partial), and e2fsck finds the root file system clean.

Must run as root in a private mount namespace (the driver, qemu/block-crash-tests, uses unshare).
Prints one JSON line per state and a summary; exit status 1 when any state failed."""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsck  # noqa: E402
import replay  # noqa: E402
import uboot  # noqa: E402
from fat import Fat  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MAX_BOOTS = 4
LOTA = None  # the host lota binary, copied at start: a rebuild during a run does not change it


def sh(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def fat_tree(fat, cluster=0, prefix=""):
    """[(path, is_dir)] of every entry, parents first"""
    out = []
    for name, first, is_dir, _slots, _size in fat.entries(cluster):
        out.append((prefix + name, is_dir))
        if is_dir:
            out += fat_tree(fat, first, prefix + name + "/")
    return out


class Recording:
    def __init__(self, path, phase, model):
        self.path = path
        self.phase = phase
        self.base = os.path.join(path, f"before-{phase}.img")  # the image the log starts from
        log = os.path.join(path, f"{phase}.writes")
        # The cached-eMMC model where the guest saw a cache (it flushed), else the SD model.
        self.eps = replay.epochs(log)
        self.model = model
        self.reqs = replay.requests(log)
        self.p1 = replay.write_log.extent(self.base, 1)
        self.p2 = replay.write_log.extent(self.base, 2)
        with open(self.base, "rb") as f:
            f.seek(self.p1[0] * 512)
            self.p1_base = f.read(self.p1[1] * 512)
        # The two versions' boot files, from the factory's boot.1 and the final image's boot.2.
        self.versions = {}
        for image, name, version in (("factory.img", "boot.1", "1.0"), ("after-trial.img", "boot.2", "2.1")):
            files = uboot.set_files(self.fat_of(os.path.join(path, image)), name)
            if files is None:
                sys.exit(f"check: {image} has no complete {name}")
            self.versions[files] = version

    def p1_state(self, writes):
        """the boot partition's bytes in the state made of `writes`"""
        disk = bytearray(self.p1_base)
        lo, hi = self.p1[0], self.p1[0] + self.p1[1]
        for sector, data in writes:
            n = len(data) // 512
            if sector + n <= lo or sector >= hi:
                continue
            a, b = max(sector, lo), min(sector + n, hi)
            disk[(a - lo) * 512:(b - lo) * 512] = data[(a - sector) * 512:(b - sector) * 512]
        return disk

    def fat_of(self, image):
        with open(image, "rb") as f:
            f.seek(self.p1[0] * 512)
            return Fat(f.read(self.p1[1] * 512))

    def version_of(self, files):
        return self.versions.get(files) if files else None


class StateCheck:
    def __init__(self, rec, work, name, writes, conf, full):
        self.rec, self.work, self.name, self.writes, self.conf, self.full = rec, work, name, writes, conf, full
        self.problems, self.boots, self.loops = [], [], []
        self.lota = LOTA

    def problem(self, text):
        self.problems.append(text)

    def run(self):
        t0 = time.monotonic()
        if not self.full:  # U-Boot's step only: the boot partition rebuilt in memory
            self.uboot_decides(Fat(self.rec.p1_state(self.writes)), raw=True)
            return {"state": self.name, "phase": self.rec.phase, "model": self.rec.model, "full": False,
                    "boots": self.boots, "problems": self.problems, "seconds": round(time.monotonic() - t0, 2)}
        image = os.path.join(self.work, "state.img")
        shutil.copyfile(self.rec.base, image)
        replay.apply(image, self.writes)
        try:
            self.live(image)
        finally:
            for mnt in ("root", "bootmnt", "standin-read"):
                sh("umount", "-l", os.path.join(self.work, mnt))
            for loop in self.loops:
                sh("losetup", "-d", loop)
        return {"state": self.name, "phase": self.rec.phase, "model": self.rec.model, "full": self.full, "boots": self.boots,
                "problems": self.problems, "seconds": round(time.monotonic() - t0, 2)}

    def live(self, image):
        try:
            fat = self.rec.fat_of(image)
        except ValueError as e:
            return self.problem(f"the FAT boot partition is unreadable: {e}")
        d = self.uboot_decides(fat, raw=True)
        if d is None or not self.full:
            return
        standin = self.standin_from(fat, d)
        if standin is None:
            return
        root = self.attach(image, self.rec.p2)
        mnt = os.path.join(self.work, "root")
        os.makedirs(mnt, exist_ok=True)
        for _ in range(MAX_BOOTS):
            # lota mounts the root partition itself (--device), as lota-init does at boot.
            reboot = self.boot_flow(mnt, standin, d, root)
            if reboot is None:
                break
            sh("umount", mnt)
            d = self.uboot_on_standin(standin)
            if d is None:
                return
        else:
            return self.problem(f"still rebooting after {MAX_BOOTS} boots")
        if self.problems:
            return
        self.judge(mnt, standin)
        sh("umount", mnt)
        r = sh("e2fsck", "-fn", root)
        if r.returncode != 0:
            self.problem(f"e2fsck: the root file system is not clean: {r.stdout.strip().splitlines()[-1:]}")

    def uboot_decides(self, reader, raw=False):
        d = uboot.decide(reader)
        if d["boot"] is None:
            self.problem(f"U-Boot finds no set that loads (env {d['env']}: {d['set']}, fallback {d['fallback']})")
            return None
        version = self.rec.version_of(uboot.set_files(reader, d["boot"]))
        d["version"] = version
        self.boots.append({"env": d["env"], "seq": d["seq"], "set": d["set"], "trial": d["trial"],
                           "count": d["count"], "boot": d["boot"], "kernel": version})
        if version is None:
            on_trial = d["trial"] and d["boot"] == d["set"]
            self.problem(f"set {d['boot']} loads but its files are no version's" +
                         (" (on trial: it would be counted)" if on_trial else " and it is not on trial: a boot loop"))
            return None
        active = self.rec.version_of(uboot.set_files(reader, d["set"]))
        if raw and self.rec.phase == "update" and active == "2.1" and not d["trial"]:
            self.problem(f"the new set {d['set']} (2.1) is active without a trial")
        return d

    def standin_from(self, fat, d):
        root = os.path.join(self.work, "standin")
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        for path, is_dir in fat_tree(fat):
            target = os.path.join(root, path)
            if is_dir:
                os.makedirs(target, exist_ok=True)
                continue
            data = fat.read(path)
            if data is not None:
                with open(target, "wb") as f:
                    f.write(data)
        if d["count_record"] is not None:
            os.makedirs(os.path.join(root, "count"), exist_ok=True)
            with open(os.path.join(root, "count", "lota-count"), "wb") as f:
                f.write(d["count_record"])
        img = os.path.join(self.work, "standin.img")
        if os.path.exists(img):
            os.unlink(img)
        r = sh("mkfs.ext4", "-q", "-F", "-d", root, img, "48M")
        if r.returncode != 0:
            self.problem(f"mkfs.ext4 of the boot stand-in: {r.stderr.strip()}")
            return None
        return self.attach(img, None)

    def attach(self, image, extent):
        args = ["losetup", "--find", "--show"]
        if extent:
            args += ["-o", str(extent[0] * 512), "--sizelimit", str(extent[1] * 512)]
        loop = sh(*args, image).stdout.strip()
        self.loops.append(loop)
        return loop

    def boot_flow(self, mnt, standin, d, root):
        conf = os.path.join(self.work, "lota.conf")
        with open(conf, "w") as f:
            f.write(self.conf + f"boot={standin}\n")
        cmdline = f"lota.bootset={d['boot']} lota.bootcount={d['count']} lota.verify=full"
        r = subprocess.run(["lota", "--root", mnt, "boot-flow", "--config", conf, "--cmdline", cmdline, "--boot-mount",
                            os.path.join(self.work, "bootmnt"), "--device", root], executable=self.lota,
                           capture_output=True, text=True, timeout=300)
        out = r.stdout + r.stderr
        self.boots[-1]["flow"] = [line for line in out.splitlines() if line.startswith("boot-flow:")][-1:]
        # Every boot's verify counts, not only the last: damage mended on one boot was damage.
        for line in out.splitlines():
            m = re.search(r"verify: \d+ files of \S+ checked in \S+ s: (\d+) damaged, (\d+) corrupt objects", line)
            if m and (m.group(1) != "0" or m.group(2) != "0"):
                self.problem(f"boot {len(self.boots)}: {line.split('] ', 1)[-1]}")
        # What lota had to mend on the way (recoveries, repairs, errors), for the record.
        self.boots[-1]["notes"] = [line.split("] ", 1)[-1][:160] for line in out.splitlines()
                                   if any(w in line for w in ("recovery", "torn", "warning", "ERROR", "repair"))]
        self.last_flow = out
        if r.returncode != 0:
            self.problem(f"lota boot-flow exited {r.returncode}: {out.strip().splitlines()[-1:]}")
            return None
        for line in out.splitlines():
            if line.startswith("boot-flow: reboot into boot set "):
                return line.rsplit(" ", 1)[1]
        self.switched_with = d["version"]
        return None

    def uboot_on_standin(self, standin):
        mnt = os.path.join(self.work, "standin-read")
        os.makedirs(mnt, exist_ok=True)
        sh("mount", standin, mnt)
        try:
            d = self.uboot_decides(uboot.DirReader(mnt))
            if d and d["count_record"] is not None:
                with open(os.path.join(mnt, "count", "lota-count"), "wb") as f:
                    f.write(d["count_record"])
                    os.fsync(f.fileno())
            return d
        finally:
            sh("umount", mnt)

    def judge(self, mnt, standin):
        out = self.last_flow
        if "0 damaged, 0 corrupt objects" not in out:
            verify = [line for line in out.splitlines() if "verify:" in line]
            self.problem(f"lota.verify=full did not pass: {verify[-1:] or 'no verify line'}")
        st = sh(self.lota, "--root", mnt, "status", "--json")
        try:
            status = json.loads(st.stdout)
        except ValueError:
            return self.problem(f"lota status --json: {st.stdout.strip()[:200]} {st.stderr.strip()[:200]}")
        deployed = (status.get("deployed") or {})
        version = deployed.get("version")
        self.boots[-1]["deployed"] = version
        if version != getattr(self, "switched_with", None):
            self.problem(f"the kernel of {getattr(self, 'switched_with', None)} switched root into {version}")
        if version != "2.1":
            self.problem(f"the update did not complete on the boots after the cut: {version} deployed")
        try:
            with open(os.path.join(mnt, "ostree/repo/refs/heads/lota/deployed")) as f:
                ref = f.read().strip()
            if ref != deployed.get("commit"):
                self.problem(f"lota/deployed is {ref[:12]}, the journal says {str(deployed.get('commit'))[:12]}")
        except OSError as e:
            self.problem(f"no lota/deployed ref: {e}")
        for why in fsck.problems(os.path.join(mnt, "ostree/repo")):
            self.problem(why)

def control_state(rec, all_states, recording):
    """The judge must be able to fail: the boot's end state with the new set's kernel writes lost
    (as from a medium that dropped data it had acknowledged) must be found wanting."""
    after = rec.fat_of(os.path.join(recording, f"after-{rec.phase}.img"))
    found = after.find("boot.2/vmlinuz")
    lost = {s for c in after.chain(found[0]) for s in after.cluster_sectors(c)} if found else set()
    lost = {s + rec.p1[0] for s in lost}
    end = f"prefix {len(rec.reqs)}" if rec.model == "sd" else f"flush {len(rec.eps)}"  # the boot's end state
    writes = [(sec, d) for sec, d in dict(all_states)[end] if not lost & set(range(sec, sec + len(d) // 512))]
    return ("control: boot.2's kernel lost", writes)


def emit(rec, state, image):
    """Writes one state's card to `image` and prints U-Boot's decision on it (for real U-Boot)."""
    shutil.copyfile(rec.base, image)
    replay.apply(image, state[1])
    d = uboot.decide(rec.fat_of(image))
    print(json.dumps({k: v for k, v in d.items() if k != "count_record"}))


def check_all(rec, chosen, conf, jobs, out):
    """Lives every chosen (state, full) on `jobs` threads, each in a work directory of its own;
    prints the failures (and the full checks as ok lines) and returns the results."""
    works = [tempfile.mkdtemp(prefix=f"blockcrash-{rec.phase}-{i}-") for i in range(jobs)]
    global LOTA
    LOTA = os.path.join(works[0], "lota")
    shutil.copy2(os.path.join(TOP, "build", "host", "init", "lota-init"), LOTA)
    free = list(works)
    results = []

    def one(item):
        (name, writes), full = item
        work = free.pop()
        try:
            return StateCheck(rec, work, name, writes, conf, full).run()
        except Exception as e:  # the checker's own failure is this state's failure, not the run's end
            return {"state": name, "phase": rec.phase, "model": rec.model, "full": full, "boots": [],
                    "problems": [f"the checker failed: {type(e).__name__}: {e}"], "seconds": 0}
        finally:
            free.append(work)

    verbose = len(chosen) == 1
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for r in pool.map(one, chosen):
            results.append(r)
            line = json.dumps(r)
            if r["problems"] or verbose or r["full"]:
                print(line if r["problems"] or verbose else f"ok {r['state']} ({r['seconds']} s)", flush=True)
            if out:
                out.write(line + "\n")
    for w in works:
        shutil.rmtree(w, ignore_errors=True)
    return results


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("recording")
    ap.add_argument("--phase", choices=("update", "trial"), required=True)
    ap.add_argument("--model", choices=("sd", "emmc"), required=True,
                    help="sd: the card showed no cache (prefixes, torn requests); emmc: it did (flush epochs)")
    ap.add_argument("--tears", type=int, default=4, help="SD: cut points per request; eMMC: subsets per epoch")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--every", type=int, default=1, help="check every Nth state (the quick variant)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only")
    ap.add_argument("--control", action="store_true", help="check the positive control only (it must fail)")
    ap.add_argument("--regression", action="append", default=[],
                    help="a state that once found a defect: always gets the boot flow")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out")
    ap.add_argument("--emit", metavar="IMAGE", help="with --only: write that state's SD image, print U-Boot's decision")
    return ap.parse_args()


def main():
    a = parse_args()
    if not a.emit and not os.access(fsck.OSTREE, os.X_OK):
        sys.exit(f"check: no ostree CLI at {fsck.OSTREE} - run scripts/setup")
    rec = Recording(a.recording, a.phase, a.model)
    if rec.model == "sd":
        all_states = replay.sd_states(rec.reqs, a.tears, a.seed)
    else:
        all_states = replay.emmc_states(rec.eps, a.tears, a.seed)
    if a.control:
        all_states = [control_state(rec, all_states, a.recording)]
        a.only = all_states[0][0]
    if a.emit:
        state = next((s for s in all_states if s[0] == a.only), None)
        if not state:
            sys.exit(f"check: no state '{a.only}'")
        return emit(rec, state, a.emit)
    # U-Boot's view of every state (cheap); lota's boot flow on every Nth (--every).
    chosen = [(s, bool(a.only) or i % a.every == 0 or s[0] in a.regression)
              for i, s in enumerate(all_states) if not a.only or s[0] == a.only]
    with open(os.path.join(a.recording, "lota.conf")) as f:
        conf = f.read() + f"remote=http://127.0.0.1:{a.port}\nip=off\n"
    writes = sum(len(d) // 512 for _, d in rec.reqs)
    print(f"check: {a.phase} boot, {rec.model} model: {len(rec.reqs)} requests ({writes} sector writes), "
          f"{len(rec.eps) - 1} flushes, {len(all_states)} states, "
          f"U-Boot's choice checked in all, lota's boot flow in {sum(1 for _, f in chosen if f)}, {a.jobs} jobs",
          flush=True)
    t0 = time.monotonic()
    out = open(a.out, "a") if a.out else None
    results = check_all(rec, chosen, conf, a.jobs, out)
    failed = [r for r in results if r["problems"]]
    print(json.dumps({"summary": a.phase, "model": rec.model, "requests": len(rec.reqs), "flushes": len(rec.eps) - 1,
                      "sector_writes": writes,
                      "states": len(all_states), "checked": len(results),
                      "boot_flow_checked": sum(1 for r in results if r["full"]), "failed": len(failed),
                      "seconds": round(time.monotonic() - t0, 1)}))
    if a.control:
        # Found wanting for the right reason: U-Boot's step saw a set whose files are no version's.
        seen = any("files are no version's" in p for r in failed for p in r["problems"])
        print("control: " + ("found wanting, as it must be" if seen else
                             f"NOT SEEN: the judge said {[r['problems'] for r in results]} of a lost kernel"))
        sys.exit(0 if seen else 1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
