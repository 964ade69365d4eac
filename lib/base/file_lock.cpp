#include "base/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

namespace lota {

Result<UniqueFd> lock_file(const std::string& path, bool wait) {
  // The lock file holds nothing: a cut that loses it loses no data.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return errno_error("opening {}", path);
  while (::flock(fd.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK)
      return make_error(
          "{} is held: another lota command (fetch, mark-good, rollback) is running - try again when "
          "it ends",
          path);
    return errno_error("locking {}", path);
  }
  return fd;
}

}  // namespace lota
