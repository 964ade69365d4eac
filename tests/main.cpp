#define CATCH_CONFIG_MAIN
// Wide: failure messages carry logs with long unbroken words (URLs, checksums), which Catch2 2.13
// cannot wrap at its default width (it aborts in TextFlow).
#define CATCH_CONFIG_CONSOLE_WIDTH 400
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

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
