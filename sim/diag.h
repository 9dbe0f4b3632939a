// Diagnostics: what the device model noticed the driver (or itself) doing wrong, by rule name.
// Rules are stable identifiers ("mmio.unknown-register", "dma.iommu-fault", ...) so tests can assert on them;
// each report carries the datasheet section when there is one.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sim {

struct Violation {
  std::string rule;
  std::string detail;
  uint64_t t_ns;
  std::string section{};  // datasheet section of the rule (sim/strict.h), when it has one
};

// Every report of every device in the process, for harnesses that assert "no diagnostics at all" across a
// test without naming each device (tests/testbed.h).
inline std::atomic<uint64_t>& diagnostics_reported() {
  static std::atomic<uint64_t> n{0};
  return n;
}

class Diagnostics {
 public:
  void report(const std::string& rule, std::string detail, uint64_t t, std::string section = {}) {
    const bool first = ++counts_[rule] == 1;
    diagnostics_reported().fetch_add(1, std::memory_order_relaxed);
    if (first) first_[rule] = {rule, detail, t, section};
    if (log_.size() < kMaxLog) log_.push_back({rule, std::move(detail), t, std::move(section)});
  }
  uint64_t count(const std::string& rule) const {
    auto it = counts_.find(rule);
    return it == counts_.end() ? 0 : it->second;
  }
  uint64_t total() const {
    uint64_t n = 0;
    for (auto& [r, c] : counts_) n += c;
    return n;
  }
  const std::vector<Violation>& log() const { return log_; }
  // Each rule's first report, however many others came before it (the log keeps only the first kMaxLog).
  const std::map<std::string, Violation>& first() const { return first_; }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  std::string summary() const {
    std::string s;
    for (const Violation& v : log_)
      s += "  [" + v.rule + "] " + v.detail + (v.section.empty() ? "" : " (§" + v.section + ")") + " @" +
           std::to_string(v.t_ns) + "ns\n";
    return s;
  }
  void clear() {
    counts_.clear();
    first_.clear();
    log_.clear();
  }

 private:
  static constexpr size_t kMaxLog = 256;
  std::map<std::string, uint64_t> counts_;
  std::map<std::string, Violation> first_;
  std::vector<Violation> log_;
};

}  // namespace sim
