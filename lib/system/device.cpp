#include "system/device.hpp"

#include <blkid.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

#include "base/c_handle.hpp"
#include "base/clock.hpp"

namespace lota {
namespace {

std::string resolve(const std::string& spec) {
  if (spec.find('=') == std::string::npos || spec[0] == '/') return spec;
  CHandle<char, std::free> dev(blkid_evaluate_tag(spec.c_str(), nullptr, nullptr));
  return dev ? dev.get() : "";
}

bool is_block_device(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
}

}  // namespace

Result<std::string> wait_for_device(const std::string& spec, double timeout_s) {
  const double deadline = monotonic_seconds() + timeout_s;
  for (;;) {
    std::string path = resolve(spec);
    if (is_block_device(path)) return path;
    if (monotonic_seconds() >= deadline)
      return make_error(
          "root device {} did not appear within {:g} s - check root= in /etc/lota.conf and that the board's "
          "storage driver modules are in the initramfs",
          spec, timeout_s);
    ::usleep(20 * 1000);  // devtmpfs creates the node as soon as the driver registers it
  }
}

}  // namespace lota
