#include "rig/reliability_record.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

namespace lota::test {

void ReliabilityRecord::save(const std::string& file) const {
  const char* dir = std::getenv("LOTA_RELIABILITY_DIR");
  if (!dir || !*dir) return;
  nlohmann::json j{{"scenario", scenario}, {"runs", runs}, {"outcomes", outcomes}, {"console", console}};
  std::ofstream(std::string(dir) + "/" + file + ".jsonl", std::ios::app) << j.dump() << "\n";
}

}  // namespace lota::test
