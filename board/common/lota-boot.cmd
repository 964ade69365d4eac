# lota's boot logic for U-Boot, shared by every board: scripts/make-image appends it to
# board/<board>/boot.cmd (the board's lines) and makes boot.scr of the two. The contract with
# lota is docs/boot-contract.md. The board lines set: lota_dev (FAT partition), lota_console,
# lota_dtb, and the addresses lota_addr, kernel_addr_r, fdt_addr_r, ramdisk_addr_r; optionally
# lota_wdt and lota_wdt_ms (the watchdog device and its timeout).
setenv lota_bootlimit 3

# Each copy (env.a/lota-env, env.b/lota-env: one 512-byte record each, in a directory of its
# own, so that no write of one touches a sector of the other): valid when its last line is
# lota_crc=<8 hex digits> (18 bytes) and the CRC-32 of everything before that line matches.
# A torn copy (power cut mid-write) is skipped.
setenv a_ok 0
setenv b_ok 0
for copy in a b; do
  setenv lota_seq; setenv lota_bootset; setenv lota_fallback; setenv lota_trial 0; setenv lota_crc
  setenv l_valid 0
  if load ${lota_dev} ${lota_addr} env.${copy}/lota-env; then
    if test 0x${filesize} -gt 0x12; then
      setexpr lota_len ${filesize} - 12
      env import -t ${lota_addr} ${filesize}
      if test -n "${lota_crc}" && crc32 -v ${lota_addr} ${lota_len} ${lota_crc}; then
        setenv ${copy}_ok 1
        setenv l_valid 1
        setenv ${copy}_seq ${lota_seq}
        setenv ${copy}_set ${lota_bootset}
        setenv ${copy}_fb ${lota_fallback}
        setenv ${copy}_trial ${lota_trial}
      fi
    fi
    if test ${l_valid} = 0; then echo "lota: env.${copy}/lota-env is torn or corrupt: ignored"; fi
  fi
done
setenv use none
if test ${a_ok} = 1; then setenv use a; fi
if test ${b_ok} = 1; then
  if test ${use} = none; then setenv use b; elif test ${b_seq} -gt ${a_seq}; then setenv use b; fi
fi
if test ${use} = a; then
  setenv l_set ${a_set}; setenv l_fb ${a_fb}; setenv l_trial ${a_trial}; setenv l_seq ${a_seq}
elif test ${use} = b; then
  setenv l_set ${b_set}; setenv l_fb ${b_fb}; setenv l_trial ${b_trial}; setenv l_seq ${b_seq}
else
  echo "lota: no valid boot env: booting boot.1 (factory)"
  setenv l_set boot.1; setenv l_fb; setenv l_trial 0; setenv l_seq 0
fi
echo "lota: boot env env.${use}/lota-env seq ${l_seq}: set ${l_set}, fallback ${l_fb}, trial ${l_trial}"

# Boot counting for a set on trial; past the limit, the fallback. The counter is a 512-byte
# record too (count/lota-count), written whole over itself: U-Boot's fatwrite of a file that
# keeps its size rewrites its own cluster and directory entry in place, no FAT-table sector.
setenv l_boot ${l_set}
setenv l_count 0
if test "${l_trial}" = 1; then
  setenv lota_count_set; setenv lota_count
  if load ${lota_dev} ${lota_addr} count/lota-count; then env import -t ${lota_addr} ${filesize}; fi
  if test "${lota_count_set}" = "${l_set}" && test -n "${lota_count}"; then setenv l_count ${lota_count}; fi
  if test ${l_count} -ge ${lota_bootlimit} && test -n "${l_fb}"; then
    echo "lota: boot set ${l_set} failed ${l_count} times: booting the fallback ${l_fb}"
    setenv l_boot ${l_fb}
  else
    setexpr l_count ${l_count} + 1
    setenv lota_count_set ${l_set}
    setenv lota_count ${l_count}
    env export -t -s 0x200 ${lota_addr} lota_count_set lota_count
    if fatwrite ${lota_dev} ${lota_addr} count/lota-count 0x200; then
      echo "lota: boot set ${l_set} on trial: attempt ${l_count} of ${lota_bootlimit}"
    elif test -n "${l_fb}"; then
      # An attempt that cannot be counted could repeat for ever: the fallback instead.
      echo "lota: cannot count attempt ${l_count} of boot set ${l_set}: booting the fallback ${l_fb}"
      setenv l_boot ${l_fb}
    else
      echo "lota: cannot count attempt ${l_count} of boot set ${l_set}, and it has no fallback: booting it"
    fi
  fi
fi

# The board's watchdog, where its lines name one (lota_wdt, lota_wdt_ms): armed before the kernel
# runs, so that a kernel that hangs instead of panicking is reset and counted all the same.
if test -n "${lota_wdt}"; then
  if wdt dev ${lota_wdt} && wdt start ${lota_wdt_ms}; then
    echo "lota: watchdog ${lota_wdt} armed (${lota_wdt_ms} ms)"
  else
    echo "lota: watchdog ${lota_wdt} not armed (no wdt command or driver in this U-Boot)"
  fi
fi

for try in 1 2; do
  setenv bootargs "console=${lota_console} panic=-1 lota.bootset=${l_boot} lota.bootcount=${l_count}"
  echo "lota: booting set ${l_boot}"
  if load ${lota_dev} ${kernel_addr_r} ${l_boot}/vmlinuz && load ${lota_dev} ${fdt_addr_r} ${l_boot}/${lota_dtb} && load ${lota_dev} ${ramdisk_addr_r} ${l_boot}/initramfs.img; then
    bootz ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdt_addr_r}
  fi
  echo "lota: boot set ${l_boot} is incomplete"
  if test -z "${l_fb}" || test "${l_boot}" = "${l_fb}"; then exit; fi
  setenv l_boot ${l_fb}
done
