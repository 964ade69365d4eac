# Log assertions for QEMU boot tests. Sourced. Each check prints one line and counts.
passed=${passed:-0}; failed=${failed:-0}
failures=()
# Under meson (qemu/meson.build, LOTA_TAP=1) each verdict is also a TAP line on the original
# stdout, so that every scenario is a test meson counts; everything else the suite prints goes to
# stderr, meson's log. tap_plan ends the stream.
tap_n=0
if [ -n "${LOTA_TAP:-}" ] && [ -z "${LOTA_TAP_FD_OPEN:-}" ]; then
  exec 3>&1 1>&2
  export LOTA_TAP_FD_OPEN=1  # a suite that runs another keeps the one stream
elif [ -z "${LOTA_TAP_FD_OPEN:-}" ]; then
  exec 3>/dev/null
fi
tap_plan() { [ -n "${LOTA_TAP:-}" ] && echo "1..$tap_n" >&3; return 0; }

# expect LOG REGEX WHAT: the serial log must contain a line matching REGEX.
expect() {
  if grep -qE "$2" "$1"; then return 0; fi
  echo "    missing: $3 (/$2/)"; return 1
}
# reject LOG REGEX WHAT: no line may match.
reject() {
  if ! grep -qE "$2" "$1"; then return 0; fi
  echo "    found: $3: $(grep -m1 -E "$2" "$1")"; return 1
}
# verdict NAME STATUS LOG: record one test's result.
verdict() {
  tap_n=$((tap_n + 1))
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1)); echo "PASS $1"; echo "ok $tap_n - ${1//#/no. }" >&3
  else
    echo "not ok $tap_n - ${1//#/no. }" >&3
    failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1 (serial log: $3)"
    echo "    --- last lines of $3 ---"; tail -n 15 "$3" | sed 's/^/    | /'
  fi
}
# Guest-side timestamp (seconds) of the first lota line matching REGEX.
lota_time() { grep -m1 -E "lota: \[ *[0-9.]+\] .*$2" "$1" | sed -E 's/.*lota: \[ *([0-9.]+)\].*/\1/'; }
# never_brick NAME STATUS SOURCE: a QEMU regression test of a brick path (issue 13), recorded for
# the "Brick paths closed" section of docs/reliability.md when LOTA_RELIABILITY_DIR is set.
never_brick() {
  [ -n "${LOTA_RELIABILITY_DIR:-}" ] || return 0
  local outcome=passed; [ "$2" -eq 0 ] || outcome=FAILED
  python3 -c 'import json,sys; print(json.dumps({"scenario": sys.argv[1], "runs": 1, "outcomes": {sys.argv[2]: 1}, "console": sys.argv[3]}))' \
    "$1" "$outcome" "$3" >> "$LOTA_RELIABILITY_DIR/never-brick.jsonl"
}
