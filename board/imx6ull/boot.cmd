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
