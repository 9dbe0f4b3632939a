// The 82599 model's interrupts: causes, EIMS/EIMS_EX masking, EITR moderation (§7.3).
#include "sim/ixgbe_model.h"

#include <cstdint>

namespace sim {

using namespace nic::ixgbe;  // register table and fields: the single source of register facts

// ---------------------------------------------------------------------------------------------------------
// Interrupts (§7.3): queues map to vectors by IVAR (rx_vector(), tx_vector() in the header), the other causes
// (EICR bits 29:16) to the vector IVAR_MISC names. A vector fires when a cause arrived and is unmasked (a queue
// cause by the vector's EIMS_EX bit, an other cause by its own EIMS bit) and its EITR interval has passed since
// it last fired; otherwise it fires when the interval runs out.
// In MSI-X mode EICR bits 15:0 show vectors 0..15; higher vectors have no EICR bit (their cause is kept in the
// vector). Without MSI-X, EICR bits 15:0 are the RTxQ causes IVAR selects, and the one interrupt is vector 0.
void Ixgbe82599::raise_new(int vector) {
  if (vector < 0 || vector >= 64) return;
  if (vector < 16 || (!msix_mode() && vector < 32)) r(EICR.at()) |= 1u << vector;
  if (static_cast<uint32_t>(vector) >= kVectors) return;
  vec_[vector].pending = true;
  try_fire(static_cast<uint32_t>(vector));
}

void Ixgbe82599::set_causes(uint32_t bits) {
  const uint32_t fresh = bits & ~r(EICR.at());
  r(EICR.at()) |= bits;
  if (fresh & r(EIMS.at()) & eicr::kOtherCauses.mask()) raise_other();
}

void Ixgbe82599::raise_other() {
  uint32_t v = 0;
  if (msix_mode()) {
    const uint32_t e = r(IVAR_MISC.at()) >> ivar::kMiscOtherShift;
    if (!ivar::kAllocValid.get(e)) return;  // no vector for the other causes: they wait in EICR
    v = ivar::kAlloc.get(e);
  }
  if (v >= kVectors) return;
  vec_[v].other = true;
  try_fire(v);
}

void Ixgbe82599::try_fire(uint32_t v) {
  Vector& x = vec_[v];
  const bool queue = x.pending && vector_unmasked(v);
  const bool other = x.other && other_unmasked();
  if (!queue && !other) return;
  const uint64_t now = world_.now();
  if (now < x.next_ok) {
    if (!x.timer) {
      x.timer = true;
      world_.schedule(x.next_ok, this, kItr, v);
    }
    return;
  }
  if (queue) x.pending = false;
  if (other) x.other = false;
  ++x.fired;
  const uint32_t eitr = r(EITR.at(v));
  x.next_ok = now + eitr::kInterval.get(eitr) * world_.params().itr_unit_ns;
  // MSI-X mode (§7.3.1.3), for a queue cause: the message auto-clears the vector's EICR bit if EIAC has it,
  // and auto-masks the vector (its EIMS_EX bit, and EIMS's alias) if GPIE.EIAME is set and EIAM_EX has it.
  const uint32_t gpie = r(GPIE.at());
  if (queue && (gpie & gpie::kMsixMode.mask())) {
    const uint32_t bit = 1u << (v % 32);
    if (v < 16) r(EICR.at()) &= ~(r(EIAC.at()) & bit);
    if ((gpie & gpie::kEiame.mask()) && (r(EIAM_EX.at(v / 32)) & bit)) {
      r(EIMS_EX.at(v / 32)) &= ~bit;
      if (v < 16) r(EIMS.at()) &= ~bit;
    }
  }
  if (on_interrupt) on_interrupt(v, now);
}

// Causes software cleared in EICR (write 1 to clear, or the read) are no longer pending: unmasking the vector
// later does not fire for them; with no other cause left, no vector waits for one.
void Ixgbe82599::clear_causes(uint32_t bits) {
  for (uint32_t v = 0; v < 16; ++v)
    if (bits & (1u << v)) vec_[v].pending = false;
  if (!(r(EICR.at()) & ~bits & eicr::kOtherCauses.mask()))
    for (Vector& x : vec_) x.other = false;
}

}  // namespace sim
