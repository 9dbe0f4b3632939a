# Runs inside the QEMU guest (ci/qemu/guest_init.sh runs it after binding both ports, 82576 or 82574, to vfio-pci).
# qemu_nic_test.sh prepends COUNT=<frames> and checks this output (serial console) and the pcaps on the host.
#   1. selftest (MAC loopback) on each port;
#   2. fwd on port 1 (one port: sends back what it receives) in the background, pktgen on port 0 sending
#      COUNT frames to port 1's MAC; fwd stops after COUNT frames (or 30 s). QEMU's igb drops frames that
#      find no free rx descriptor and pktgen outruns fwd under TCG, so fwd's rx ring (4096) holds the whole
#      burst: COUNT must stay below it for the counts to be exact.
p0=${NICSIM_PORTS%%,*}
p1=${NICSIM_PORTS##*,}
rc=0
step() { echo "@@STEP $*"; }

for p in "$p0" "$p1"; do
  step "selftest $p"
  selftest --ports "$p" --count 2000 || rc=1
done

# ixgbe (the simulated 82599 over vfio-user): a tail write reaches the device a vfio-user message later and
# the guest does not wait for it, so fwd can fill a 512-entry tx ring while the device is still catching up;
# fwd drops what tx does not take (ixy's semantics). Its tx ring holds the whole burst too, so counts are exact.
tx_ring=512
case "${NIC:-}" in *ixgbe) tx_ring=4096 ;; esac
step "fwd $p1 + pktgen $p0 ($COUNT frames)"
fwd --ports "$p1" --rx-ring 4096 --tx-ring $tx_ring --count "$COUNT" --seconds 30 >/tmp/fwd.log 2>&1 &
fwd_pid=$!
i=0  # fwd is ready once it prints its first per-second statistics
until grep -q 'RX:' /tmp/fwd.log || ! kill -0 $fwd_pid 2>/dev/null || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
pktgen --ports "$p0" --count "$COUNT" --dst-mac 52:54:00:4e:49:01 || rc=1
wait $fwd_pid || rc=1
step "fwd output"
cat /tmp/fwd.log
# 3. every family (MSI-X through VFIO): the same with `fwd --interrupts`, which sleeps in poll(2) on its rx
#    vector's eventfd while idle; pktgen sends IRQ_COUNT frames to another MAC (its own flow in the pcaps).
#    Output lines are prefixed "irq: " so the checks of step 2 never see them.
step "fwd --interrupts $p1 + pktgen $p0 ($IRQ_COUNT frames)"
fwd --ports "$p1" --rx-ring 4096 --tx-ring $tx_ring --interrupts --count "$IRQ_COUNT" --seconds 20 >/tmp/fwd_irq.log 2>&1 &
fwd_pid=$!
i=0
until grep -q 'RX:' /tmp/fwd_irq.log || ! kill -0 $fwd_pid 2>/dev/null || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done
pktgen --ports "$p0" --count "$IRQ_COUNT" --dst-mac 52:54:00:4e:49:11 >/tmp/pktgen_irq.log 2>&1 || rc=1
wait $fwd_pid || rc=1
sed 's/^/irq: /' /tmp/pktgen_irq.log /tmp/fwd_irq.log
# The simulated card and its netdev socket are asynchronous: give the last forwarded frames time to reach the
# far end's capture before the VM powers off.
case "${NIC:-}" in *ixgbe) sleep 2 ;; esac
step "end"
exit $rc
