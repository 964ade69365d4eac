# lota boot script, board lines for the i.MX6ULL EVK (real board; QEMU 7.2 cannot run U-Boot for
# mcimx6ul-evk). scripts/make-image appends board/common/lota-boot.cmd (the logic, tested under
# QEMU with the vexpress-a9 lines) and makes boot.scr of both. See docs/boot-contract.md.
# The SD card is U-Boot's ${mmcdev} (the stock mx6ull EVK environment names it); DRAM starts at
# 0x80000000.
setenv lota_dev "mmc ${mmcdev}:1"
setenv lota_console ttymxc0,115200
setenv lota_dtb imx6ull-14x14-evk.dtb
setenv lota_addr 0x82f00000
setenv kernel_addr_r 0x80800000
setenv fdt_addr_r 0x83000000
setenv ramdisk_addr_r 0x83800000
# The SoC watchdog (WDOG1), armed before the kernel runs: a kernel that hangs (a wrong dtb) is
# reset and counted like one that panics. Needs U-Boot with CMD_WDT and the i.MX watchdog driver
# (WDT, IMX_WATCHDOG). 60 s covers the kernel until lota-init, which loads imx2_wdt and feeds it.
setenv lota_wdt watchdog@20bc000
setenv lota_wdt_ms 60000
