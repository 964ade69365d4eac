#include "update/pull_job.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "base/clock.hpp"
#include "base/flags.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"
#include "net/http.hpp"
#include "update/delta_fetch.hpp"
#include "update/disk_space.hpp"

namespace lota {
namespace {

constexpr int kProgressFd = 3;

std::vector<std::string> to_args(const PullRequest& r) {
  return {"--repo",       r.repo_path,
          "--url",        r.remote.url,
          "--branch",     r.branch,
          "--commit",     r.commit,
          "--sign-key",   r.remote.sign_key,
          "--tls-ca",     r.remote.tls.ca,
          "--tls-cert",   r.remote.tls.client_cert,
          "--tls-key",    r.remote.tls.client_key,
          "--from",       r.from,
          "--workdir",    r.workdir,
          "--rate-limit", std::to_string(r.rate_limit)};
}

std::string human_bytes(double b) {
  if (b >= 1024 * 1024) return fmt::format("{:.1f} MiB", b / (1024 * 1024));
  if (b >= 1024) return fmt::format("{:.0f} KiB", b / 1024);
  return fmt::format("{:.0f} B", b);
}

// Records on the pipe: "P <bytes> <fetched> <requested> [<total bytes>]\n", "A\n" (applying), "I <text>\n", and a
// final "E <kind> <message>\n" (ErrorKind by name: PID 1 decides on the kind, not the text).
void write_record(const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(kProgressFd, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

Error parse_error_record(const std::string& record) {
  auto space = record.find(' ');
  if (space == std::string::npos) return Error{record};
  return Error{record.substr(space + 1), error_kind_from(record.substr(0, space))};
}

struct Watch {
  PullReport report;
  std::optional<Error> error;
  std::string partial;
  double last_byte_time = 0;
  bool applying = false;  // applying a delta moves no bytes: not a stall (the deadline still holds)
  double last_log = 0;
  double start = 0;

  void feed(const char* data, size_t n) {
    partial.append(data, n);
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      std::string line = partial.substr(0, nl);
      partial.erase(0, nl + 1);
      if (line.starts_with("E ")) error = parse_error_record(line.substr(2));
      if (line.starts_with("I ")) log::info("pull: {}", line.substr(2));
      unsigned long long b = 0, f = 0, r = 0, t = 0;
      if (line == "A") applying = true;
      if (int n = std::sscanf(line.c_str(), "P %llu %llu %llu %llu", &b, &f, &r, &t); n >= 3) {
        if (n == 4) report.total_bytes = t;
        if (applying) last_byte_time = monotonic_seconds();  // the apply is over: the stall clock restarts
        applying = false;
        if (b > report.progress.bytes) last_byte_time = monotonic_seconds();
        report.progress = {b, f, r};
      }
    }
  }

  void maybe_log(bool final, const PullLimits& limits) {
    double t = monotonic_seconds();
    if (!final && t - last_log < 1.0) return;
    last_log = t;
    const auto& p = report.progress;
    double elapsed = std::max(0.001, t - start);
    if (limits.on_progress) {
      limits.on_progress(PullStatus{p, report.total_bytes, applying, elapsed});
      return;
    }
    int pct =
        p.requested ? static_cast<int>(100.0 * static_cast<double>(p.fetched) / static_cast<double>(p.requested)) : 0;
    log::info("pull: {}, {}/{} objects, {}/s, {}%", human_bytes(static_cast<double>(p.bytes)), p.fetched, p.requested,
              human_bytes(static_cast<double>(p.bytes) / elapsed), pct);
  }
};

// Starts `self_exe pull-job ...` with its progress records going to `progress` (as fd 3).
Result<pid_t> spawn_pull_job(const std::string& self_exe, const PullRequest& request, int progress) {
  std::vector<std::string> args = {"lota", "pull-job"};
  for (auto& a : to_args(request)) args.push_back(a);
  // Built before the fork: the child of a process with threads (the watchdog feeder) may only
  // make async-signal-safe calls until it execs, and allocating is not one.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return errno_error("starting the pull job");
  if (pid == 0) {
    // Dies with its supervisor (lota fetch interrupted): no orphan pulls into the repository
    // while a later fetch or a prune runs.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(progress, kProgressFd);  // dup2 clears O_CLOEXEC on the copy
    ::execv(self_exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// --rate-limit for the part of a pull lota does not make itself (libostree's object requests have
// no rate setting): the job is stopped while it is ahead of the rate, and the kernel's TCP window
// then slows the sender. Lota's own delta downloads are limited smoothly by libcurl as well.
// A stop lasts at most a second and is followed by a run of one poll at least, so that a burst
// (libostree reports progress per object) never leaves a connection idle long enough for the
// server to time it out.
struct Pacer {
  uint64_t rate = 0;
  bool stopped = false;
  double since = 0;

  void pace(pid_t pid, Watch& w, double now) {
    if (rate == 0) return;
    double due = static_cast<double>(w.report.progress.bytes) / static_cast<double>(rate);
    bool stop = now - w.start < due - 0.25 && !(stopped && now - since > 1.0);
    if (stop != stopped) {
      ::kill(pid, stop ? SIGSTOP : SIGCONT);
      stopped = stop;
      since = now;
    }
    if (stopped) w.last_byte_time = now;  // held back on purpose: not a stall
  }
};

// Reads the job's records until it closes the pipe, or kills it at the deadline or a stall.
// Returns why it was killed ("" when it ended by itself).
std::string watch_pull_job(int records, pid_t pid, const PullLimits& limits, uint64_t rate, Watch& w) {
  Pacer pacer{rate};
  for (;;) {
    pollfd p{records, POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) {
      char buf[4096];
      ssize_t n = ::read(records, buf, sizeof buf);
      if (n == 0) return "";  // the child closed its end: it is done
      if (n > 0) w.feed(buf, static_cast<size_t>(n));
    }
    double t = monotonic_seconds();
    pacer.pace(pid, w, t);
    std::string why;
    if (limits.deadline_s > 0 && t - w.start > limits.deadline_s)
      why = fmt::format("download took longer than lota.pull_timeout={:g} s", limits.deadline_s);
    else if (!w.applying && t - w.last_byte_time > limits.stall_s)
      why = fmt::format("download stalled: no data for {:g} s (lota.stall_timeout)", limits.stall_s);
    if (!why.empty()) {
      ::kill(pid, SIGKILL);
      return why;
    }
    w.maybe_log(false, limits);
  }
}

}  // namespace

Result<PullReport> supervise_pull(const std::string& self_exe, const PullRequest& request, const PullLimits& limits) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe for the pull job");
  UniqueFd rd(fds[0]), wr(fds[1]);
  auto pid = spawn_pull_job(self_exe, request, wr.get());
  if (!pid) return pid.error();
  wr.reset();
  Watch w;
  w.start = w.last_byte_time = w.last_log = monotonic_seconds();
  std::string killed_because = watch_pull_job(rd.get(), *pid, limits, request.rate_limit, w);
  int status = 0;
  struct rusage usage {};
  while (::wait4(*pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  w.report.seconds = monotonic_seconds() - w.start;
  w.report.peak_rss_kib = usage.ru_maxrss;
  w.maybe_log(true, limits);
  if (!killed_because.empty())
    return make_error(ErrorKind::network, "{}; kept what was fetched for the next boot", killed_because);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return w.error ? *w.error : make_error("pull job failed (status {})", status);
  return w.report;
}

namespace {

Result<PullRequest> parse_job_args(const std::vector<std::string>& args) {
  PullRequest r;
  // The same names as to_args() writes.
  auto parsed = parse_flags(args, {string_flag("--repo", r.repo_path),
                                   string_flag("--url", r.remote.url),
                                   string_flag("--branch", r.branch),
                                   string_flag("--commit", r.commit),
                                   string_flag("--sign-key", r.remote.sign_key),
                                   string_flag("--tls-ca", r.remote.tls.ca),
                                   string_flag("--tls-cert", r.remote.tls.client_cert),
                                   string_flag("--tls-key", r.remote.tls.client_key),
                                   string_flag("--from", r.from),
                                   string_flag("--workdir", r.workdir),
                                   {"--rate-limit", [&r](const std::string& v) -> Status {
                                      r.rate_limit = std::strtoull(v.c_str(), nullptr, 10);
                                      return {};
                                    }}});
  if (!parsed) return parsed.error().with_context("pull job");
  return r;
}

// lota's own static delta from the deployed commit, when there is one; the bytes it took.
Result<uint64_t> delta_first(Repo& repo, const PullRequest& r) {
  if (r.from.empty() || r.workdir.empty() || r.from == r.commit || !repo.has_commit(r.from)) return uint64_t{0};
  HttpOptions http;
  http.timeout_s = 30;  // connect; the transfer itself is bounded by the stall limit and PID 1
  http.tls = r.remote.tls;
  http.max_recv_speed = r.rate_limit;
  auto d = fetch_and_apply_delta(repo, r.remote.url, http, r.from, r.commit, r.remote.sign_key, r.workdir, 30,
                                 [](uint64_t bytes, int done, int total, uint64_t total_bytes) {
                                   if (done < 0)
                                     write_record("A\n");  // applying: PID 1 pauses the stall clock
                                   else
                                     write_record(fmt::format("P {} {} {} {}\n", bytes, done, total, total_bytes));
                                 });
  if (!d) return d.error();
  write_record(d->applied ? fmt::format("I static delta applied: {} bytes\n", d->bytes)
                          : fmt::format("I {}; pulling objects\n", d->why_not));
  return d->bytes;
}

}  // namespace

int pull_job_main(const std::vector<std::string>& args) {
  auto fail = [](const Error& e) {
    write_record(fmt::format("E {} {}\n", to_string(e.kind), e.message));
    return 1;
  };
  auto r = parse_job_args(args);
  if (!r) return fail(r.error());
  auto repo = Repo::open(r->repo_path);
  if (!repo) return fail(repo.error());
  if (auto st = repo->set_remote("lota", r->remote); !st) return fail(st.error());
  auto delta = delta_first(*repo, *r);
  if (!delta) return fail(delta.error());
  auto on_progress = [delta_bytes = *delta](const PullProgress& p) {
    write_record(fmt::format("P {} {} {}\n", delta_bytes + p.bytes, p.fetched, p.requested));
  };
  // Never libostree's own static-delta path: lota fetched the delta above, or declined it (no
  // room, fallbacks, none on the server); libostree would fetch the same delta again.
  if (auto st = repo->pull("lota", r->branch, r->commit, on_progress, false); !st) {
    // libostree unpacks into /var/tmp, which in the initramfs is RAM: say so while it is still
    // full (its anonymous files go with this process).
    auto tmp = disk_space("/var/tmp");
    if (tmp && tmp->free_bytes < (8u << 20))
      return fail(make_error(ErrorKind::ram_full, "{} (/var/tmp, RAM in the initramfs, is full: {} KiB free)",
                             st.error().message, tmp->free_bytes >> 10));
    return fail(st.error());
  }
  return 0;
}

}  // namespace lota
