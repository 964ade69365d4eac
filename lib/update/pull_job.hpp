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
  std::string from;     // the deployed commit: a static delta from it is fetched by lota itself
  std::string workdir;  // where delta parts are kept until applied (survives reboots)
};

struct PullLimits {
  double deadline_s = 600;
  double stall_s = 30;
};

struct PullReport {
  PullProgress progress;
  double seconds = 0;
  long peak_rss_kib = 0;  // of the pull job (its ru_maxrss)
};

// Parent side: exec `self_exe pull-job ...`, watch it, log progress at most once a second.
Result<PullReport> supervise_pull(const std::string& self_exe, const PullRequest& request, const PullLimits& limits);

// Child side: argv after "pull-job"; progress records go to fd 3. Returns the exit code.
int pull_job_main(const std::vector<std::string>& args);

}  // namespace lota
