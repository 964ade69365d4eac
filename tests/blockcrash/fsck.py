#!/usr/bin/env python3
"""tests/blockcrash/fsck.py REPO: the crash tests' judge of a device's repository, shared by
check.py (every block-level state) and qemu/power-cut-tests (every card after its cut). It uses
the ostree CLI scripts/setup builds, not lota's own code: `ostree fsck --all` (every object that
complete commits reach, read back against its checksum, and present; --all: every error, not the
first). ostree fsck skips partial commits, so the kept versions (lota/deployed, lota/previous)
must not be partial; checked first, as fsck itself marks a commit partial when it finds objects
of it missing (a failed card kept for replaying carries that mark).
Prints "fsck: clean" or "fsck: FAILED: <why>"; exit status 1 when it failed."""
import os
import subprocess
import sys

OSTREE = os.path.join(os.environ.get("LOTA_CACHE", os.path.expanduser("~/.cache/lota")), "deps", "amd64", "bin", "ostree")


def problems(repo):
    """[why] of the repository at `repo`; empty when it is clean"""
    found = []
    for kept in ("deployed", "previous"):
        try:
            with open(os.path.join(repo, "refs", "heads", "lota", kept)) as f:
                commit = f.read().strip()
        except OSError:
            continue
        if os.path.exists(os.path.join(repo, "state", f"{commit}.commitpartial")):
            found.append(f"the {kept} version's commit {commit[:12]} is partial: not all of it is on the device")
    r = subprocess.run([OSTREE, f"--repo={repo}", "fsck", "--all"], capture_output=True, text=True)
    if r.returncode != 0:
        lines = (r.stderr + r.stdout).strip().splitlines()
        found.append(f"ostree fsck: {lines[-1] if lines else 'exit ' + str(r.returncode)}")
    return found


def main():
    if not os.access(OSTREE, os.X_OK):
        sys.exit(f"fsck: no ostree CLI at {OSTREE} - run scripts/setup")
    found = problems(sys.argv[1])
    print("fsck: clean" if not found else "fsck: FAILED: " + "; ".join(found))
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
