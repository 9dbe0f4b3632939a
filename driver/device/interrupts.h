// MSI-X receive interrupts shared by the advanced-descriptor families: one eventfd-backed vector per rx
// queue (queue q -> vector q, bit q of EIMS/EIMC/EICR on both the 82599 and the 82576), armed only while
// the app waits for it.
//
// Arming order (no lost wake-up): clear the queue's cause in EICR (write 1), unmask it in EIMS, then look at
// the ring. A frame that arrived before the clear is seen in the ring; one that arrives after it sets the
// cause again and, now unmasked, fires (EITR permitting). Disarming masks the vector in EIMC (the 82599
// also auto-masks it on the message through GPIE.EIAME/EIAM; QEMU's 82576 model does not, hence the
// explicit write) and consumes the eventfd, counting what it held.
#pragma once

#include <cstdint>
#include <vector>

#include "driver/seam/backend.h"

namespace nic {

// Where a family keeps the interrupt registers of its rx vectors: vector v's cause is bit first_bit + v in all
// three (the 82599 and 82576: EICR/EIMS/EIMC from bit 0; the 82574: ICR/IMS/IMC, RxQ0 at bit 20).
struct IrqRegs {
  uint32_t eicr = 0;  // cause, write 1 to clear
  uint32_t eims = 0;  // mask set (write 1 to unmask)
  uint32_t eimc = 0;  // mask clear (write 1 to mask)
  uint32_t first_bit = 0;
};

class RxInterrupts {
 public:
  // Asks the backend for `vectors` MSI-X vectors (throws nic::Error when it has none).
  RxInterrupts(Backend& backend, uint32_t vectors);
  ~RxInterrupts();  // masks every vector, then the backend turns MSI-X off and closes the eventfds
  RxInterrupts(const RxInterrupts&) = delete;
  RxInterrupts& operator=(const RxInterrupts&) = delete;

  void set_regs(const IrqRegs& regs) { regs_ = regs; }
  uint32_t vectors() const { return static_cast<uint32_t>(fds_.size()); }
  int fd(uint32_t v) const { return fds_.at(v); }
  uint64_t taken(uint32_t v) const { return taken_.at(v); }
  uint32_t bit(uint32_t v) const { return 1u << (regs_.first_bit + v); }
  uint32_t mask_all() const {
    const uint32_t n = vectors() + regs_.first_bit;
    return (n >= 32 ? ~0u : (1u << n) - 1) & ~((1u << regs_.first_bit) - 1);
  }

  void arm(uint32_t v);     // EICR <- bit, EIMS <- bit
  void disarm(uint32_t v);  // EIMC <- bit, eventfd consumed and counted
  // poll(2) on one vector's eventfd; false on timeout or a signal.
  bool sleep(uint32_t v, uint32_t timeout_ms) const;

 private:
  Backend& backend_;
  std::vector<int> fds_;
  std::vector<uint64_t> taken_;
  IrqRegs regs_;
};

}  // namespace nic
