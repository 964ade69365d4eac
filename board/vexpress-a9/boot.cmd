# lota boot script, board lines for vexpress-a9 (QEMU); scripts/make-image appends
# board/common/lota-boot.cmd (the logic, docs/boot-contract.md) and makes boot.scr of both.
# The addresses (scriptaddr kernel_addr_r fdt_addr_r ramdisk_addr_r lota_addr) come from the
# boot command scripts/build-uboot builds in.
setenv lota_dev "mmc 0:1"
setenv lota_console ttyAMA0
setenv lota_dtb vexpress-v2p-ca9.dtb
