// Time: a Clock interface so that time can be controlled in tests, and RFC 3339 formatting.
//
// Times are int64 microseconds since the Unix epoch (UTC). SystemClock and ManualClock are
// thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace writ {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override;
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_micros = 0) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  void Set(int64_t micros) { now_.store(micros); }
  void Advance(int64_t micros) { now_.fetch_add(micros); }

 private:
  std::atomic<int64_t> now_;
};

// Microseconds from a monotonic clock (for durations; not related to wall time).
int64_t MonotonicMicros();

// "2024-05-01T12:00:00.123456Z" (always UTC, always six fractional digits).
std::string FormatRfc3339Micros(int64_t micros);

// Parses an RFC 3339 date-time ("2024-05-01T12:00:00Z", "...T12:00:00.5+02:00"); a day the
// month does not have (2026-02-29) is refused, not read as the next month's. A bare date
// "2024-05-01" is accepted as its midnight UTC. Fractions beyond microseconds are truncated.
Result<int64_t> ParseRfc3339(std::string_view text);

}  // namespace writ
