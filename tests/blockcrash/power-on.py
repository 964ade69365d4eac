#!/usr/bin/env python3
"""tests/blockcrash/power-on.py IMAGE: U-Boot's part of one power-on, for a board profile that
boots without U-Boot (vexpress-a9-emmc): the boot script's decision on IMAGE's FAT partition
(uboot.py), its count record written as the script's fatwrite would (mtools, in place: same
size), and "SET COUNT" printed: the set whose files to boot and lota.bootcount=."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay  # noqa: E402
import uboot  # noqa: E402
from fat import Fat  # noqa: E402


image = sys.argv[1]
start, _size = replay.write_log.extent(image, 1)
d = uboot.decide(Fat.of_image(image, start))
if d["boot"] is None:
    sys.exit(f"power-on: U-Boot finds no set that loads on {image}")
if d["count_record"] is not None:
    with tempfile.NamedTemporaryFile() as f:
        f.write(d["count_record"])
        f.flush()
        subprocess.run(["mcopy", "-o", "-i", f"{image}@@{start * 512}", f.name, "::count/lota-count"], check=True)
print(d["boot"], d["count"])
