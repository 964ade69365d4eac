// Seconds on CLOCK_MONOTONIC: the clock of every deadline in lota and of the kernel's printk
// timestamps, so log lines and the kernel's own lines share one time base.
#pragma once

#include <time.h>

namespace lota {

inline double monotonic_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace lota
