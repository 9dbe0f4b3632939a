# Shared by the QEMU test scripts of tests/qemu (sourced; each lists lib.sh in its BUILD data).

failures=0
check() {  # check DESCRIPTION COMMAND...: one line per check, [ ok ] when COMMAND succeeds
  local what="$1"; shift
  if "$@"; then echo "  [ ok ] $what"; else echo "  [FAIL] $what"; failures=$((failures + 1)); fi
}
fatal() {
  echo "FAIL: $*"
  echo "FAIL: the QEMU test needs what ci/qemu/setup.sh installs: run ci/qemu/setup.sh (./bazelw runs it too)"
  exit 1
}
# await_server PID: the VM is gone, so are the server's clients, and nicsim_server ends by itself; waits up to
# 10 s for that, else stops it with SIGTERM. Sets server_rc to its exit status ("N (after SIGTERM)" then).
await_server() {
  server_rc=""
  for _ in $(seq 100); do
    if ! kill -0 "$1" 2>/dev/null; then wait "$1"; server_rc=$?; return; fi
    sleep 0.1
  done
  kill -TERM "$1" 2>/dev/null; wait "$1"; server_rc="$? (after SIGTERM)"
}
