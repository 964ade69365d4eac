# Shared by scripts/demo and qemu/ota-tests: build the releases of a board and an update
# server for them. Sourced after scripts/common.sh.

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ota_prepare BOARD DIR PORT [CONF_LINES [ROOTFS_1_OPTS]]: keys, the board's initramfs pointing at http://10.0.2.2:PORT (the
# host's 127.0.0.1 seen from QEMU's user network), rootfs trees 1.0, 2.0 (adds zlib1g and
# changes /etc/motd) and 3.0 (never confirms itself; a new initramfs in its boot set), 1.0 published to DIR/repo, and the
# factory image DIR/factory.img with 1.0 (boot files in DIR/boot/boot.1). Then the release key is
# rotated (scripts/keygen --rotate): 2.0 and 3.0 are signed by a key the device does not have and
# learns from the key chain the server publishes.
ota_prepare() {
  local board=$1 dir=$2 port=$3 extra=${4:-} opts1=()
  [ -z "${5:-}" ] || read -ra opts1 <<< "$5"  # make-rootfs options for 1.0 (e.g. --fetch)
  mkdir -p "$dir"
  rm -rf "$dir/repo"
  rm -rf "$dir/keys"  # a new chain every time: it is bounded (64 entries) on the device
  "$LOTA_TOP/scripts/keygen" "$dir/keys"
  "$LOTA_TOP/initramfs/build" "$board" "$dir/initramfs.img" "remote=http://10.0.2.2:$port
branch=$board/stable
sign_key=$(cat "$dir/keys/ed25519.pub")
check_timeout=8${extra:+
$extra}"
  "$LOTA_TOP/scripts/make-rootfs" "$dir/rootfs-1.0" --board "$board" --version 1.0 --initramfs "$dir/initramfs.img" \
    "${opts1[@]}"
  "$LOTA_TOP/scripts/make-rootfs" "$dir/rootfs-2.0" --board "$board" --version 2.0 --initramfs "$dir/initramfs.img" \
    --package zlib1g --motd "lota demo 2.0: zlib added, motd changed"
  # 3.0 also changes its boot set (an initramfs with another config), so it needs a new one.
  "$LOTA_TOP/initramfs/build" "$board" "$dir/initramfs-3.0.img" "remote=http://10.0.2.2:$port
branch=$board/stable
sign_key=$(cat "$dir/keys/ed25519.pub")
check_timeout=9${extra:+
$extra}"
  "$LOTA_TOP/scripts/make-rootfs" "$dir/rootfs-3.0" --board "$board" --version 3.0 --initramfs "$dir/initramfs-3.0.img" \
    --package zlib1g --no-confirm
  ota_publish "$board" "$dir" 1.0 > /dev/null
  local script=()  # boards with a U-Boot script get boot.scr on p1 (ignored by -kernel boots)
  [ ! -f "$LOTA_TOP/board/$board/boot.cmd" ] || script=(--boot-script "$LOTA_TOP/board/$board/boot.cmd")
  "$LOTA_TOP/scripts/make-image" --repo "$dir/repo" --branch "$board/stable" --out "$dir/factory.img" \
    --boot-dir "$dir/boot" "${script[@]}"
  sleep 1  # the old key is retired from the second after the rotation: 1.0 is older
  "$LOTA_TOP/scripts/keygen" --rotate "$dir/keys"
}

# ota_publish BOARD DIR VERSION: publish DIR/rootfs-VERSION on BOARD/stable; prints the commit.
ota_publish() {
  "$LOTA_TOP/scripts/publish" "$2/rootfs-$3" --repo "$2/repo" --branch "$1/stable" --version "$3" \
    --key "$2/keys/ed25519.secret"
}

# serve_start DIR PORT: the update server, logging requests to DIR/http.log. serve_stop ends it.
serve_start() {
  "$LOTA_TOP/scripts/serve" "$1/repo" --port "$2" > "$1/http.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$2/config" > /dev/null && return 0; sleep 0.1; done
  die "the update server on port $2 did not start (see $1/http.log)"
}
serve_stop() { [ -z "${serve_pid:-}" ] || kill "$serve_pid" 2>/dev/null || true; serve_pid=""; }

# served_bytes LOG REPO: bytes of the files a python http.server log answered whole (200) from
# REPO (its log has no sizes: the files' sizes are summed). Used by scripts/bench-update.
served_bytes() {
  sed -nE 's/.*"GET ([^ ]+) HTTP[^"]*" 200 .*/\1/p' "$1" | while read -r path; do
    stat -c %s "$2$path" 2> /dev/null || echo 0
  done | awk '{s += $1} END {print s + 0}'
}

# ota_boot BOARD DIR LOG [qemu/run options]: boot the (persistent) device image DIR/device.img.
ota_boot() {
  local board=$1 dir=$2 logf=$3; shift 3
  "$LOTA_TOP/qemu/run" "$board" "$dir/device.img" "$dir/boot/boot.1/initramfs.img" "$logf" --persist \
    --kernel "$dir/boot/boot.1/vmlinuz" --dtb "$(ls "$dir"/boot/boot.1/*.dtb)" \
    --until 'reboot: Restarting system|Kernel panic' --timeout 180 "$@"
}
