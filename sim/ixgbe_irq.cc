// The 82599 model's interrupts: causes, EIMS masking, EITR moderation (§7.3).
#include "sim/ixgbe_model.h"

#include <cstdint>

namespace sim {

using namespace nic::ixgbe;  // register table and fields: the single source of register facts

// ---------------------------------------------------------------------------------------------------------
// Interrupts (§7.3): queues map to vectors by IVAR (rx_vector(), tx_vector() in the header). A vector fires
// when a cause arrived, its EIMS bit is set and its EITR interval has passed since it last fired; otherwise it
// fires when the interval runs out.
void Ixgbe82599::raise_new(int vector) {
  if (vector < 0 || vector >= 32) return;
  r(EICR.at()) |= 1u << vector;
  if (static_cast<uint32_t>(vector) >= kVectors) return;
  vec_[vector].pending = true;
  try_fire(static_cast<uint32_t>(vector));
}

void Ixgbe82599::try_fire(uint32_t v) {
  Vector& x = vec_[v];
  if (!x.pending || !(r(EIMS.at()) & (1u << v))) return;
  const uint64_t now = world_.now();
  if (now < x.next_ok) {
    if (!x.timer) {
      x.timer = true;
      world_.schedule(x.next_ok, this, kItr, v);
    }
    return;
  }
  x.pending = false;
  ++x.fired;
  const uint32_t eitr = r(EITR.at(v));
  x.next_ok = now + eitr::kInterval.get(eitr) * world_.params().itr_unit_ns;
  // MSI-X mode (§7.3.1.3): the message auto-clears the vector's EICR bit if EIAC has it, and auto-masks it
  // (EIMS bit cleared) if GPIE.EIAME is set and EIAM has it.
  const uint32_t gpie = r(GPIE.at());
  if (gpie & gpie::kMsixMode.mask()) {
    r(EICR.at()) &= ~(r(EIAC.at()) & (1u << v));
    if (gpie & gpie::kEiame.mask()) r(EIMS.at()) &= ~(r(EIAM.at()) & (1u << v));
  }
  if (on_interrupt) on_interrupt(v, now);
}

// Causes software cleared in EICR (write 1 to clear, or the read) are no longer pending: unmasking the vector
// later does not fire for them.
void Ixgbe82599::clear_causes(uint32_t bits) {
  for (uint32_t v = 0; v < kVectors; ++v)
    if (bits & (1u << v)) vec_[v].pending = false;
}

}  // namespace sim
