// `lota` as a command in the booted system (the same static binary, run as /usr/bin/lota):
//   lota status [--json]   versions, trial, last events
//   lota mark-good         confirm the running version healthy (ends its trial)
//   lota rollback          make the previous version boot next time
//   lota pull-job ...      internal: the download child of lota-init
#pragma once

namespace lota {

int cli_main(int argc, char** argv);

}  // namespace lota
