# Runs inside the QEMU guest of //tests/qemu:qemu_dpdk_test (ci/qemu/guest_init.sh runs it, with both simulated
# 82599s bound to vfio-pci behind the virtual IOMMU and hugepages reserved): DPDK's testpmd (bookworm's
# dpdk-dev, packed by build_guest.sh -D) forwards between the two ports in io mode, then our own fwd does the
# same on the same ports. The host script prepends GEN_COUNT (frames per generator burst and port) and checks
# the @@-tagged lines; this script always exits 0 (the host decides what passed).
#
# The traffic comes from the simulator's generators (nicsim_server --wire gen --gen-on sigusr1): a line
# "@@GEN_REQUEST K" asks the host to start burst K (GEN_COUNT frames into each port), and the guest waits until
# both ports' counters stop moving. Sessions, each printing its statistics between @@BEGIN/@@END markers:
#   vector:  testpmd with its default (vector, SSE) rx/tx paths: start, burst 1, stop; then port stop all,
#            port reset all, port start all, start, burst 2, stop, quit;
#   scalar:  testpmd with --force-max-simd-bitwidth=64 (the ixgbe PMD then takes its scalar paths): burst 3;
#   fwd:     our fwd on both ports: burst 4.
p0=${NICSIM_PORTS%%,*}
p1=${NICSIM_PORTS##*,}
mkdir -p /var/run/dpdk
trap '' PIPE  # a testpmd that died must not kill this script when a command is written to it
burst=0
request_burst() {
  burst=$((burst + 1))
  echo "@@GEN_REQUEST $burst"
}
# testpmd reads its commands from a FIFO (fd 3 here) and writes everything to /tmp/tp_NAME.out.
tp() { echo "$*" >&3; }
out_lines() { wc -l <"$out" | tr -d ' '; }
# Both ports' receive counters (HW: RX-packets, RX-missed) and receive rates from a fresh `show port stats
# all`: "rx0 miss0 rx1 miss1 | pps0 pps1" (the rates testpmd computes since its previous show).
port_stats() {
  local from
  from=$(out_lines)
  tp "show port stats all"
  sleep 1
  tail -n +"$((from + 1))" "$out" | awk '/RX-packets:/ { c = c $2 " " $4 " " } /Rx-pps:/ { r = r " " $2 }
    END { printf "%s|%s", c, r }'
}
# Until the receive counters of both ports have stopped moving for 3 polls after they first moved (or 180
# polls); each poll printed as @@POLL.
wait_quiet() {
  local prev="" cur same=0 i=0 moved=0 start
  start=$(port_stats)
  start=${start%%|*}
  while [ $i -lt 180 ]; do
    cur=$(port_stats)
    echo "@@POLL $name burst $burst: $cur"
    cur=${cur%%|*}
    [ "$cur" != "$start" ] && moved=1
    if [ "$cur" = "$prev" ] && [ $moved = 1 ]; then
      same=$((same + 1))
      [ $same -ge 3 ] && break
    else
      same=0
    fi
    prev=$cur
    i=$((i + 1))
  done
  echo "@@QUIET $name burst $burst after $i polls: $cur"
}
session() {  # session NAME EAL-OPTIONS...: starts testpmd with its ports up, ready for commands
  name=$1
  shift
  out=/tmp/tp_$name.out
  rm -f /tmp/tp.in && mkfifo /tmp/tp.in
  echo "@@BEGIN $name $(cut -d' ' -f1 /proc/uptime)"
  dpdk-testpmd -l 0,1 -n 1 -a "$p0" -a "$p1" --log-level=pmd.net.ixgbe.init:debug "$@" -- -i \
    --forward-mode=io --rxd=512 --txd=512 --burst=32 --total-num-mbufs=8192 --nb-cores=1 \
    </tmp/tp.in >"$out" 2>&1 &
  tp_pid=$!
  exec 3>/tmp/tp.in
  i=0
  until grep -q 'testpmd> ' "$out" || ! kill -0 $tp_pid 2>/dev/null || [ $i -ge 1800 ]; do sleep 0.1; i=$((i + 1)); done
  if ! kill -0 $tp_pid 2>/dev/null; then
    wait $tp_pid
    echo "@@TESTPMD_DIED $name status $? before its prompt"
    sed "s/^/@@TP $name /" "$out"
  fi
  echo "@@TESTPMD_READY $name after $((i / 10)) s: $(grep -c 'testpmd> ' "$out") prompt(s)"
  tp "show port info all"
  tp "show rxq info 0 0"
  tp "show txq info 0 0"
}
forward_burst() {  # one generator burst through testpmd's forwarding, then its statistics
  t0=$(cut -d' ' -f1 /proc/uptime)
  tp "start"
  sleep 1
  request_burst
  wait_quiet
  t1=$(cut -d' ' -f1 /proc/uptime)
  echo "@@FORWARD_TIME burst $burst $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
  tp "stop"
  sleep 2
  tp "show port stats all"
  tp "show port xstats all"
  sleep 3
}
end_session() {
  tp "quit"
  exec 3>&-
  i=0
  while kill -0 $tp_pid 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
  kill -0 $tp_pid 2>/dev/null && { echo "@@TESTPMD_HUNG $name"; kill -9 $tp_pid; }
  wait $tp_pid
  echo "@@TESTPMD_EXIT $name $?"
  sed "s/^/@@TP $name /" "$out"
  echo "@@END $name"
}

session vector
forward_burst
tp "port stop all"
sleep 2
tp "port reset all"
sleep 5
tp "port start all"
sleep 5
forward_burst
end_session

session scalar --force-max-simd-bitwidth=64
forward_burst
end_session

# Our own driver on the same two ports (fwd forwards 0 -> 1 and 1 -> 0), the same burst; its per-second
# statistics (--stats-json) say when the burst is over, then SIGINT ends it and it prints its totals.
name=fwd
echo "@@BEGIN fwd $(cut -d' ' -f1 /proc/uptime)"
fwd --ports "$p0,$p1" --rx-ring 512 --tx-ring 512 --seconds 600 --stats-json /tmp/fwd.json >/tmp/fwd.log 2>&1 &
fwd_pid=$!
i=0
until grep -q 'RX:' /tmp/fwd.log || ! kill -0 $fwd_pid 2>/dev/null || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(cut -d' ' -f1 /proc/uptime)
request_burst
moved=0 quiet=0 i=0
while kill -0 $fwd_pid 2>/dev/null && [ $i -lt 180 ]; do
  sleep 1
  i=$((i + 1))
  last=$(tail -n 1 /tmp/fwd.json 2>/dev/null | grep -o '"rx_packets":[0-9]*' | cut -d: -f2 | tr '\n' ' ')
  echo "@@POLL fwd burst $burst: $last"
  case "$last" in *[1-9]*) moved=1 quiet=0 ;; *) [ $moved = 1 ] && quiet=$((quiet + 1)) ;; esac
  [ $quiet -ge 2 ] && break
done
t1=$(cut -d' ' -f1 /proc/uptime)
kill -INT $fwd_pid
wait $fwd_pid
echo "@@FWD_EXIT $?"
echo "@@FORWARD_TIME burst $burst $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
sed 's/^/@@FWD /' /tmp/fwd.log
sed 's/^/@@FWDJSON /' /tmp/fwd.json
echo "@@END fwd"
dmesg | grep -iE 'vfio|dmar.*(fault|error)' | sed 's/^/@@DMESG /'
exit 0
