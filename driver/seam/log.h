// Minimal leveled logging to stderr. Tests and fuzzers silence it with set_log_level(kError/kSilent).
#pragma once

#include <cstdarg>

namespace nic {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kSilent };

void set_log_level(LogLevel level);
LogLevel log_level();
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace nic
