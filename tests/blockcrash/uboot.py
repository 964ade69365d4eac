"""The boot script's decision (board/common/lota-boot.cmd), step by step as U-Boot executes it,
over a boot partition given as a reader (read(path) -> bytes or None: fat.Fat, a FAT image
parsed, or DirReader, a directory). The model is exact where the script's outcome depends on it: which env
copy is valid (U-Boot's `env import -t` stops at a NUL, skips '#' lines; `crc32 -v` over
filesize - 0x12 bytes), the attempt count and the count record it writes, and which set boots
(every file must load, else the fallback). tests/blockcrash checks it against real U-Boot runs."""
import os
import zlib

BOOTLIMIT = 3
RECORD = 512
SET_FILES = ("vmlinuz", "vexpress-v2p-ca9.dtb", "initramfs.img")


class DirReader:
    def __init__(self, root):
        self.root = root

    def read(self, path):
        try:
            with open(os.path.join(self.root, path), "rb") as f:
                return f.read()
        except OSError:
            return None


def env_import(data):
    """U-Boot's himport_r on text: name=value lines up to the first NUL; '#' lines skipped."""
    out = {}
    text = data.split(b"\0", 1)[0].decode("latin-1")
    for line in text.split("\n"):
        line = line.lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        name, eq, value = line.partition("=")
        if eq:
            out[name] = value
        else:
            out.pop(name, None)
    return out


def read_copy(reader, copy):
    """the env copy as the script takes it: a dict with seq/set/fb/trial, or None (ignored)"""
    data = reader.read(f"env.{copy}/lota-env")
    if data is None or len(data) <= 0x12:
        return None
    v = env_import(data)
    crc = v.get("lota_crc", "")
    try:
        ok = crc != "" and int(crc, 16) == zlib.crc32(data[:len(data) - 0x12])
    except ValueError:
        ok = False
    if not ok:
        return None
    return {"copy": copy, "seq": v.get("lota_seq", ""), "set": v.get("lota_bootset", ""),
            "fb": v.get("lota_fallback", ""), "trial": v.get("lota_trial", "0")}


def as_number(s):
    # U-Boot's test -gt (cmd/test.c): simple_strtol(s, NULL, 0). lota writes plain decimal without
    # leading zeros, where base 0 reads the same; leading digits, 0 when there are none.
    digits = ""
    for ch in s:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else 0


def decide(reader):
    """One power-on: {env, set, fallback, trial, count, boot (the set whose files load, None when
    none does: the board stops in U-Boot), count_record (the bytes the script writes to
    count/lota-count, or None)}."""
    a, b = read_copy(reader, "a"), read_copy(reader, "b")
    use = a
    if b and (use is None or as_number(b["seq"]) > as_number(a["seq"])):
        use = b
    env = use or {"copy": None, "seq": "0", "set": "boot.1", "fb": "", "trial": "0"}
    l_set, l_fb, boot, count, record = env["set"], env["fb"], env["set"], 0, None
    if env["trial"] == "1":
        data = reader.read("count/lota-count")
        c = env_import(data) if data is not None else {}
        if c.get("lota_count_set") == l_set and c.get("lota_count", "") != "":
            count = as_number(c["lota_count"])
        if count >= BOOTLIMIT and l_fb:
            boot = l_fb
        else:
            count += 1
            # env export -t -s 0x200: sorted names, NUL padded.
            record = f"lota_count={count}\nlota_count_set={l_set}\n".encode().ljust(RECORD, b"\0")
    loads = None
    for _ in (1, 2):
        if all(reader.read(f"{boot}/{f}") is not None for f in SET_FILES):
            loads = boot
            break
        if not l_fb or boot == l_fb:
            break
        boot = l_fb
    return {"env": env["copy"], "seq": env["seq"], "set": l_set, "fallback": l_fb, "trial": env["trial"] == "1",
            "count": count, "boot": loads, "count_record": record}


def set_files(reader, name):
    """the set's three boot files (a tuple of bytes), or None when one is missing"""
    files = tuple(reader.read(f"{name}/{f}") for f in SET_FILES)
    return None if any(f is None for f in files) else files
