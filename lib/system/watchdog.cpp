#include "system/watchdog.hpp"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>

#include "base/clock.hpp"

namespace lota {

Result<std::unique_ptr<Watchdog>> Watchdog::open(const std::string& device, int timeout_s, double wait_s) {
  // The driver (a module loaded just before) may register its device a moment later.
  const double deadline = monotonic_seconds() + wait_s;
  int fd = -1;
  while ((fd = ::open(device.c_str(), O_WRONLY | O_CLOEXEC)) < 0 && errno == ENOENT && monotonic_seconds() < deadline)
    ::usleep(20000);
  if (fd < 0) return errno_error("watchdog {} (lota.watchdog=none if the board has none)", device);
  std::unique_ptr<Watchdog> w(new Watchdog(fd, timeout_s));
  if (auto st = w->set_timeout(timeout_s); !st) {
    // The device is open, so it runs now: keep it at the timeout it has rather than leave it
    // armed and unfed. Only a device that cannot even say that is disarmed (magic close).
    int t = 0;
    if (::ioctl(fd, WDIOC_GETTIMEOUT, &t) != 0 || t <= 0) {
      [[maybe_unused]] ssize_t n = ::write(fd, "V", 1);
      return make_error("{}; its current timeout is unknown: watchdog disarmed", st.error().message);
    }
    w->timeout_s_ = t;
  }
  w->feed();
  return w;
}

Status Watchdog::set_timeout(int timeout_s) {
  int t = timeout_s;
  // Drivers round to what the hardware can do (imx2_wdt: 1-128 s); the value set is read back.
  if (::ioctl(fd_, WDIOC_SETTIMEOUT, &t) != 0) return errno_error("setting the watchdog timeout to {} s", timeout_s);
  timeout_s_ = t;
  return {};
}

void Watchdog::feed() {
  int dummy = 0;
  ::ioctl(fd_, WDIOC_KEEPALIVE, &dummy);
}

void Watchdog::feed_until(double deadline) {
  stop_feeding();
  stop_ = false;
  feeder_ = std::thread([this, deadline] {
    const auto period = std::chrono::milliseconds(timeout_s_ * 250);
    std::unique_lock lock(mutex_);
    while (!stop_ && monotonic_seconds() < deadline) {
      feed();
      wake_.wait_for(lock, period, [this] { return stop_; });
    }
  });
}

void Watchdog::stop_feeding() {
  if (!feeder_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  feeder_.join();
}

Status Watchdog::hand_over(int timeout_s) {
  stop_feeding();
  auto st = set_timeout(timeout_s);  // on an error it keeps the timeout it had (timeout())
  feed();
  // No magic 'V' before the close: the watchdog keeps running, the rootfs must take it over.
  ::close(fd_);
  fd_ = -1;
  return st;
}

Watchdog::~Watchdog() {
  stop_feeding();
  if (fd_ >= 0) ::close(fd_);  // without 'V': still armed (a fatal error then ends in a reset)
}

}  // namespace lota
