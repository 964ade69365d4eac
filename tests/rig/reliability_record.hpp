// Fault tests record what they did for docs/reliability.md: one JSON line per scenario in
// $LOTA_RELIABILITY_DIR/<file>.jsonl (nothing when unset). scripts/reliability-report turns
// the lines of a run into the table.
#pragma once

#include <map>
#include <string>

namespace lota::test {

struct ReliabilityRecord {
  std::string scenario;
  int runs = 0;
  std::map<std::string, int> outcomes;  // outcome -> count
  std::string console;                  // what the console said (a typical line)
  void add(const std::string& outcome) {
    ++runs;
    ++outcomes[outcome];
  }
  void save(const std::string& file) const;
};

}  // namespace lota::test
