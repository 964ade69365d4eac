# Shared settings for lota's host scripts. Sourced, never run.
# LOTA_CACHE holds everything built or downloaded outside the checkout, so a fresh
# clone (CI) reuses it; delete it to force a cold set-up.
set -euo pipefail
# No silent deaths under set -e: name the script, line and command that failed.
trap 'echo "error: ${BASH_SOURCE[0]##*/} failed at line $LINENO: $BASH_COMMAND" >&2' ERR
LOTA_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOTA_CACHE=${LOTA_CACHE:-$HOME/.cache/lota}
LOTA_JOBS=${LOTA_JOBS:-$(nproc)}
export LOTA_TOP LOTA_CACHE LOTA_JOBS
# meson uses ccache when it is installed: a fresh clone (CI) then recompiles from the cache.
export CCACHE_DIR=${CCACHE_DIR:-$LOTA_CACHE/ccache} CCACHE_BASEDIR=$LOTA_TOP CCACHE_NOHASHDIR=1

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ed25519_sign SECRET FILE: the base64 ed25519 signature of FILE's bytes with scripts/keygen's
# secret key (libsodium's 64 bytes: the seed, then the public key), made by openssl.
ed25519_sign() {
  local der; der=$(mktemp)
  # The seed as a PKCS#8 DER key: a fixed 16-byte header, then the 32 bytes.
  { printf '\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20'; base64 -d "$1" | head -c 32; } > "$der"
  openssl pkeyutl -sign -rawin -keyform DER -inkey "$der" -in "$2" | base64 -w0
  local rc=$?; rm -f "$der"; return $rc
}

# Version of a Debian source package as the mirror serves it now.
src_version() { apt-cache showsrc "$1" | awk '/^Version:/{print $2}' | sort -V | tail -n1; }

# board_kernel: after sourcing a board.conf, sets kver, kernel_image, kernel_dtb and kmod_root (the
# tree holding lib/modules/<kver>; empty for a kernel without modules). KERNEL=armmp (Debian's,
# scripts/fetch-kernel) unless the board names its own (KERNEL=zynq: scripts/build-zynq-kernel).
board_kernel() {
  local k=$LOTA_CACHE/kernel/${KERNEL:-armmp}
  kver=$(cat "$k/kver" 2>/dev/null) || die "no ${KERNEL:-armmp} kernel in $LOTA_CACHE/kernel - run scripts/setup"
  if [ "${KERNEL:-armmp}" = armmp ]; then
    kernel_image=$k/root/boot/vmlinuz-$kver
    kernel_dtb=$k/root/usr/lib/linux-image-$kver/$DTB
    kmod_root=$k/root
  else
    kernel_image=$k/zImage kernel_dtb=$k/$DTB kmod_root=""
  fi
}

# Short stable hash of strings and files, used to key cache directories.
cache_key() { { printf '%s\n' "$@"; } | sha256sum | cut -c1-12; }

# boot_kernel_dir TREE: the one rule for a release's boot set (lib/boot/bootset.hpp boot_files does
# the same on the device): the usr/lib/modules/<kver>/ directory holding vmlinuz, at most one.
# Prints its path, or nothing when the tree carries no kernel; dies on two.
boot_kernel_dir() {
  local k found=()
  for k in "$1"/usr/lib/modules/*/vmlinuz; do { [ -e "$k" ] || [ -L "$k" ]; } && found+=("${k%/vmlinuz}"); done
  [ ${#found[@]} -le 1 ] || die "more than one kernel in $1/usr/lib/modules (${found[*]##*/}); a release carries one boot set: keep one vmlinuz"
  [ ${#found[@]} = 0 ] || echo "${found[0]}"
}
