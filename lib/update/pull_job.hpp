// The download runs in a child process so that PID 1 stays in charge: it kills the child at
// the deadline or when no byte arrived for the stall time, then boots what it has. Objects
// already fetched stay in the repo, so a later boot resumes. The child is this same binary,
// exec'd afresh (no glib state or threads inherited across fork), reporting progress on a pipe.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "update/repo.hpp"

namespace lota {

struct PullRequest {
  std::string repo_path;
  RemoteSettings remote;
  std::string branch;
  std::string commit;
  std::string from;         // the deployed commit: a static delta from it is fetched by lota itself
  std::string workdir;      // where delta parts are kept until applied (survives reboots)
  uint64_t rate_limit = 0;  // bytes/s (lota fetch --rate-limit); 0: as fast as the link goes
};

// What the supervisor knows of a running pull, for a progress display.
struct PullStatus {
  PullProgress progress;
  uint64_t total_bytes = 0;  // known up front for a static delta (its signed superblock); 0: unknown
  bool applying = false;     // a delta's parts are being applied (no network traffic)
  double seconds = 0;
};

struct PullLimits {
  double deadline_s = 600;  // 0: none (a pull in the running system is only bounded by stalls)
  double stall_s = 30;
  // Called at most once a second and at the end, instead of the console line.
  std::function<void(const PullStatus&)> on_progress;
};

struct PullReport {
  PullProgress progress;
  uint64_t total_bytes = 0;
  double seconds = 0;
  long peak_rss_kib = 0;  // of the pull job (its ru_maxrss)
};

// Parent side: exec `self_exe pull-job ...`, watch it, log progress at most once a second.
Result<PullReport> supervise_pull(const std::string& self_exe, const PullRequest& request, const PullLimits& limits);

// Child side: argv after "pull-job"; progress records go to fd 3. Returns the exit code.
int pull_job_main(const std::vector<std::string>& args);

}  // namespace lota
