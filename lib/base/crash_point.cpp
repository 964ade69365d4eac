#include "base/crash_point.hpp"

#ifdef LOTA_TEST_HOOKS
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/file.hpp"

namespace lota {

void crash_point(std::string_view what) {
  const char* counter = std::getenv("LOTA_CRASH_COUNTER");
  if (!counter || !*counter) return;
  auto text = read_file(counter);
  long n = (text ? std::atol(text->c_str()) : 0) + 1;
  // Test bookkeeping on the host's /tmp; its own durability is not under test.
  std::string line = fmt::format("{}\n", n);
  int fd = ::open(counter, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!::write(fd, line.data(), line.size());
    ::close(fd);
  }
  std::string trace = fmt::format("{} {}\n", n, what);
  fd = ::open((std::string(counter) + ".trace").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!::write(fd, trace.data(), trace.size());
    ::close(fd);
  }
  const char* at = std::getenv("LOTA_CRASH_AT");
  if (!at || std::atol(at) != n) return;
  std::string msg = fmt::format("lota: crash point {} ({}): simulated power cut\n", n, what);
  (void)!::write(2, msg.data(), msg.size());
  ::kill(0, SIGKILL);  // the process group: lota and its pull job
  ::_exit(137);
}

}  // namespace lota
#endif
