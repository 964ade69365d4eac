// Static deltas fetched by lota itself. libostree 2022.7's pull, when a delta exists, also
// fetches many loose objects while applying it (fixed upstream in 2023.7), so a small update
// could cost twice the delta. lota downloads the superblock and the parts with libcurl into a
// directory on the root partition (resuming a part with HTTP Range after a cut, checking each
// part against the superblock's checksum), applies them with libostree's offline delta API,
// and leaves only what is still missing (normally nothing) to libostree's pull.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.hpp"
#include "net/http.hpp"
#include "update/repo.hpp"

namespace lota {

// "deltas/Qk/tuwg...-5ZXY..." for from -> to, as libostree lays them out.
std::string static_delta_path(const std::string& from, const std::string& to);

struct DeltaResult {
  bool applied = false;  // false: the server has no usable delta; pull objects instead
  uint64_t bytes = 0;    // downloaded by this call
  std::string why_not;   // when not applied
};

// With sign_key (base64 ed25519), the commit inside the superblock must be signed by it before
// any part is fetched. on_progress(bytes, parts_done, parts_total, total_bytes) (total_bytes: of
// the parts, from the signed superblock, 0 before it is read); (-1, -1) announces the apply,
// which moves no bytes over the network. workdir keeps partial downloads across boots; emptied after the apply.
Result<DeltaResult> fetch_and_apply_delta(Repo& repo, const std::string& base_url, const HttpOptions& http,
                                          const std::string& from, const std::string& to, const std::string& sign_key,
                                          const std::string& workdir, double stall_s,
                                          const std::function<void(uint64_t, int, int, uint64_t)>& on_progress);

}  // namespace lota
