// Test-only power-cut injection. Test builds (meson -Dtest_hooks=true; the host build used by
// the test suite) count every durable step of an update - a write that was synced, a rename,
// a directory sync - and, when the count reaches $LOTA_CRASH_AT, kill the whole process group
// with SIGKILL right there: lota-init and its pull job die together, as in a power cut.
// The count lives in the file $LOTA_CRASH_COUNTER so that it runs on across the pull job; each
// step is also appended to $LOTA_CRASH_COUNTER.trace ("N what") so a test can name it.
// In product builds crash_point() is an empty inline function.
#pragma once

#include <string_view>

namespace lota {

#ifdef LOTA_TEST_HOOKS
void crash_point(std::string_view what);
#else
inline void crash_point(std::string_view) {}
#endif

}  // namespace lota
