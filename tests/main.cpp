#define CATCH_CONFIG_RUNNER
// Wide: failure messages carry logs with long unbroken words (URLs, checksums), which Catch2 2.13
// cannot wrap at its default width (it aborts in TextFlow).
#define CATCH_CONFIG_CONSOLE_WIDTH 400
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

// Tests tagged [never-brick] are the regression tests of the brick paths (issue 13): each
// records its name and result in $LOTA_RELIABILITY_DIR/never-brick.jsonl, which
// scripts/reliability-report turns into a section of docs/reliability.md.
// "tests/<group>/test_x.cpp" from the compiler's "../../tests/<group>/test_x.cpp".
std::string source_name(std::string path) {
  auto at = path.find("tests/");
  return at == std::string::npos ? path : path.substr(at);
}

struct NeverBrickRecorder : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    const char* dir = std::getenv("LOTA_RELIABILITY_DIR");
    const auto& tags = stats.testInfo.tags;
    if (!dir || !*dir || std::find(tags.begin(), tags.end(), "never-brick") == tags.end()) return;
    bool ok = stats.totals.assertions.failed == 0 && stats.totals.assertions.passed > 0;
    nlohmann::json j{{"scenario", stats.testInfo.name},
                     {"runs", 1},
                     {"outcomes", {{ok ? "passed" : "FAILED", 1}}},
                     {"console", source_name(stats.testInfo.lineInfo.file)}};
    std::ofstream(std::string(dir) + "/never-brick.jsonl", std::ios::app) << j.dump() << "\n";
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(NeverBrickRecorder)

namespace {

// TAP with one line per test case, for meson's protocol: 'tap' (tests/meson.build): meson then
// counts test cases, not executables. A failed assertion is a TAP comment naming where and what.
// '#' starts a TAP directive ("# SKIP"): names such as "#13.1 ..." say "issue 13.1 ..." instead.
// The original stdout, kept by main() for the TAP stream. Written to as the fd itself: reopening
// it by name (/dev/fd/N) would start a regular file over at offset 0.
FILE* tap_out = stdout;

void tap(const std::string& line) {
  std::fputs(line.c_str(), tap_out);
  std::fflush(tap_out);
}

std::string tap_name(std::string name) {
  for (size_t at; (at = name.find('#')) != std::string::npos;) name.replace(at, 1, "issue ");
  return name;
}

struct TapCases : Catch::StreamingReporterBase<TapCases> {
  using StreamingReporterBase::StreamingReporterBase;
  static std::string getDescription() { return "TAP, one line per test case"; }
  void assertionStarting(const Catch::AssertionInfo&) override {}
  // Every line of a failure a TAP comment: a log line that starts with "ok" is no result.
  void comment(const std::string& text) {
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
      tap("# " + text.substr(start, nl - start) + "\n");
    if (start < text.size()) tap("# " + text.substr(start) + "\n");
  }
  bool assertionEnded(const Catch::AssertionStats& stats) override {
    const auto& r = stats.assertionResult;
    if (r.isOk()) return true;
    std::string what =
        fmt::format("{}:{}: {}", r.getSourceInfo().file, r.getSourceInfo().line, r.getExpressionInMacro());
    if (r.hasExpandedExpression()) what += " with " + r.getExpandedExpression();
    if (r.hasMessage()) what += ": " + r.getMessage();
    comment(what);
    for (const auto& info : stats.infoMessages) comment(info.message);  // INFO(): the boot-flow logs
    return true;
  }
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    bool ok = stats.totals.assertions.failed == 0 && stats.totals.testCases.failed == 0;
    // A case that checked nothing (it found what it needs missing and said so) is a skip.
    const char* skip = ok && stats.totals.assertions.total() == 0 ? " # SKIP no assertion ran" : "";
    tap(fmt::format("{} {} - {}{}\n", ok ? "ok" : "not ok", ++count, tap_name(stats.testInfo.name), skip));
    StreamingReporterBase::testCaseEnded(stats);
  }
  void testRunEnded(const Catch::TestRunStats& stats) override {
    tap(fmt::format("1..{}\n", count));
    StreamingReporterBase::testRunEnded(stats);
  }
  int count = 0;
};

}  // namespace

CATCH_REGISTER_REPORTER("tap-cases", TapCases)

// With LOTA_TAP=1 (meson), the TAP stream keeps the original stdout to itself: the lota
// processes the tests start write their logs to stdout, which goes to stderr then.
int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (const char* tap = std::getenv("LOTA_TAP"); tap && *tap) {
    int fd = ::fcntl(1, F_DUPFD_CLOEXEC, 3);  // not inherited by the processes the tests start
    if (FILE* out = fd >= 0 ? ::fdopen(fd, "w") : nullptr) {
      tap_out = out;
      ::dup2(2, 1);
      args.insert(args.end(), {"--reporter", "tap-cases"});
    }
  }
  std::vector<char*> argv2;
  for (auto& a : args) argv2.push_back(a.data());
  return Catch::Session().run(static_cast<int>(argv2.size()), argv2.data());
}
