// The board's hardware watchdog (/dev/watchdog, when the board profile names one). lota-init
// arms it early and keeps it fed from a thread while it works, but only until a deadline: a
// lota-init that hangs (a driver, a filesystem, a bug) stops feeding and the board resets. Before
// exec'ing the rootfs init it hands the watchdog over armed: it sets the time the rootfs has to
// take over (systemd's RuntimeWatchdogSec=, busybox `watchdog`), feeds once and closes the device
// without the magic 'V', so the watchdog keeps running. A rootfs that hangs before it feeds is
// reset, and the boot counts against its trial. See docs/layout.md ("Watchdog").
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.hpp"

namespace lota {

class Watchdog {
 public:
  // Opens `device` (waiting up to wait_s for it to appear) and arms it with timeout_s.
  static Result<std::unique_ptr<Watchdog>> open(const std::string& device, int timeout_s, double wait_s);
  ~Watchdog();  // stops feeding; the watchdog stays armed
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  int timeout() const { return timeout_s_; }
  // Feeds every timeout/4 seconds from a thread until `deadline` (monotonic seconds).
  void feed_until(double deadline);
  // Stops feeding, gives the rootfs timeout_s to take over, feeds once, closes (still armed).
  // timeout() is then what the driver made of it.
  Status hand_over(int timeout_s);

 private:
  Watchdog(int fd, int timeout_s) : fd_(fd), timeout_s_(timeout_s) {}
  void stop_feeding();
  Status set_timeout(int timeout_s);
  void feed();

  int fd_ = -1;
  int timeout_s_ = 0;
  std::thread feeder_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
};

}  // namespace lota
