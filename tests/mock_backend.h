// A GoogleMock Backend. By default every call is forwarded to a real simulated 82599 (so polls terminate and
// the driver sees a working device); tests add ordered expectations on the calls that form the contract.
#pragma once

#include <gmock/gmock.h>

#include "driver/seam/backend.h"
#include "sim/sim_backend.h"

namespace testbed {

class MockBackend : public nic::Backend {
 public:
  MOCK_METHOD(uint32_t, read32, (uint32_t offset), (override));
  MOCK_METHOD(void, write32, (uint32_t offset, uint32_t value), (override));
  MOCK_METHOD(nic::DmaRegion, dma_alloc, (size_t bytes, size_t align), (override));
  MOCK_METHOD(void, dma_free, (const nic::DmaRegion& region), (override));
  MOCK_METHOD(uint32_t, config_read, (uint32_t offset, int width), (override));
  MOCK_METHOD(void, config_write, (uint32_t offset, uint32_t value, int width), (override));
  MOCK_METHOD(nic::PciId, identity, (), (override));
  MOCK_METHOD(void, delay_us, (uint32_t us), (override));
  MOCK_METHOD(uint64_t, now_ns, (), (override));
  MOCK_METHOD(std::string, name, (), (const, override));

  // Forward everything to `real` unless a test says otherwise.
  void delegate_to(nic::Backend& real) {
    using ::testing::Invoke;
    ON_CALL(*this, read32).WillByDefault(Invoke(&real, &nic::Backend::read32));
    ON_CALL(*this, write32).WillByDefault(Invoke(&real, &nic::Backend::write32));
    ON_CALL(*this, dma_alloc).WillByDefault(Invoke(&real, &nic::Backend::dma_alloc));
    ON_CALL(*this, dma_free).WillByDefault(Invoke(&real, &nic::Backend::dma_free));
    ON_CALL(*this, config_read).WillByDefault(Invoke(&real, &nic::Backend::config_read));
    ON_CALL(*this, config_write).WillByDefault(Invoke(&real, &nic::Backend::config_write));
    ON_CALL(*this, identity).WillByDefault(Invoke(&real, &nic::Backend::identity));
    ON_CALL(*this, delay_us).WillByDefault(Invoke(&real, &nic::Backend::delay_us));
    ON_CALL(*this, now_ns).WillByDefault(Invoke(&real, &nic::Backend::now_ns));
    ON_CALL(*this, name).WillByDefault(::testing::Return(std::string("mock")));
  }
};

}  // namespace testbed
