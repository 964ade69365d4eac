#include <catch2/catch.hpp>

#include "system/modules.hpp"

using namespace lota;

static const char* kDep =
    "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko\n"
    "kernel/fs/jbd2/jbd2.ko:\n"
    "kernel/fs/mbcache.ko:\n"
    "kernel/lib/crc16.ko:\n"
    "kernel/drivers/mmc/host/sdhci-esdhc-imx.ko: kernel/drivers/mmc/host/sdhci-pltfm.ko "
    "kernel/drivers/mmc/host/sdhci.ko kernel/drivers/mmc/host/cqhci.ko\n"
    "kernel/drivers/mmc/host/sdhci-pltfm.ko: kernel/drivers/mmc/host/sdhci.ko\n"
    "kernel/drivers/mmc/host/sdhci.ko:\n"
    "kernel/drivers/mmc/host/cqhci.ko:\n";

TEST_CASE("module names are normalised") {
  CHECK(module_name("kernel/drivers/mmc/host/sdhci-esdhc-imx.ko") == "sdhci_esdhc_imx");
  CHECK(module_name("a/b/c.ko.xz") == "c");
  CHECK(module_name("sdhci-pltfm") == "sdhci_pltfm");
}

TEST_CASE("dependencies load first, each once") {
  auto idx = parse_modules_dep(kDep);
  REQUIRE(idx.ok());
  auto order = resolve_load_order(*idx, {"sdhci-esdhc-imx", "ext4", "sdhci"});
  REQUIRE(order.ok());
  auto& o = *order;
  auto pos = [&](const std::string& s) { return std::find(o.begin(), o.end(), s) - o.begin(); };
  CHECK(o.size() == 8);
  CHECK(pos("kernel/drivers/mmc/host/sdhci.ko") < pos("kernel/drivers/mmc/host/sdhci-pltfm.ko"));
  CHECK(pos("kernel/drivers/mmc/host/sdhci-pltfm.ko") < pos("kernel/drivers/mmc/host/sdhci-esdhc-imx.ko"));
  CHECK(pos("kernel/fs/jbd2/jbd2.ko") < pos("kernel/fs/ext4/ext4.ko"));
  CHECK(std::count(o.begin(), o.end(), "kernel/drivers/mmc/host/sdhci.ko") == 1);
}

TEST_CASE("unknown module and broken modules.dep give clear errors") {
  auto idx = parse_modules_dep(kDep);
  REQUIRE(idx.ok());
  auto r = resolve_load_order(*idx, {"nosuch"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("'nosuch'") != std::string::npos);

  auto bad = parse_modules_dep("kernel/a.ko: kernel/b.ko\nno colon here\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("line 2") != std::string::npos);

  auto missing_dep = parse_modules_dep("kernel/a.ko: kernel/b.ko\n");
  REQUIRE(missing_dep.ok());
  auto m = resolve_load_order(*missing_dep, {"a"});
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().message.find("needed by 'a'") != std::string::npos);
}

TEST_CASE("a dependency cycle is refused, not looped on") {
  auto idx = parse_modules_dep("a.ko: b.ko\nb.ko: a.ko\n");
  REQUIRE(idx.ok());
  auto r = resolve_load_order(*idx, {"a"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("cycle") != std::string::npos);
}
