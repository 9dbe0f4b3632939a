#include "driver/seam/log.h"

#include <atomic>
#include <cstdio>

namespace nic {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
}

void set_log_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel log_level() { return g_level.load(std::memory_order_relaxed); }

void log(LogLevel level, const char* fmt, ...) {
  if (level < log_level()) return;
  static constexpr const char* kTag[] = {"debug", "info", "warn", "error", ""};
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "[%s] %s\n", kTag[static_cast<int>(level)], line);
}

}  // namespace nic
