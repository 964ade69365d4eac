// Test helper: attach an image file to a free loop device (autoclear: detached when the last
// user is gone), so real filesystem images can be mounted through lota's own code.
#pragma once

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "base/unique_fd.hpp"

namespace lota::test {

class LoopDevice {
 public:
  explicit LoopDevice(const std::string& image) {
    UniqueFd ctl(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
    UniqueFd file(::open(image.c_str(), O_RDWR | O_CLOEXEC));
    if (!ctl.valid() || !file.valid()) return;
    int n = ::ioctl(ctl.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return;
    std::string path = "/dev/loop" + std::to_string(n);
    fd_.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd_.valid()) return;
    loop_config cfg{};
    cfg.fd = static_cast<__u32>(file.get());
    cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    if (::ioctl(fd_.get(), LOOP_CONFIGURE, &cfg) != 0) {
      fd_.reset();
      return;
    }
    path_ = path;
  }
  const std::string& path() const { return path_; }
  bool ok() const { return !path_.empty(); }

 private:
  UniqueFd fd_;
  std::string path_;
};

}  // namespace lota::test
