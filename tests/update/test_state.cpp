#include <unistd.h>

#include <catch2/catch.hpp>

#include "base/file.hpp"
#include "rig/update_rig.hpp"
#include "update/state.hpp"

using namespace lota;

TEST_CASE("state survives a round trip") {
  State s;
  s.deployed = Deployment{std::string(64, 'a'), "2.0"};
  s.previous = Deployment{std::string(64, 'b'), "1.0"};
  s.step = Step::swap;
  s.pending = Deployment{std::string(64, 'c'), "3.0"};
  s.trial = Trial{std::string(64, 'a'), 2};
  s.rejected = {std::string(64, 'd')};
  s.add_event("hello");
  auto back = parse_state(serialize_state(s));
  REQUIRE(back.ok());
  CHECK(back->deployed == s.deployed);
  CHECK(back->previous == s.previous);
  CHECK(back->pending == s.pending);
  CHECK(back->step == Step::swap);
  CHECK(back->trial->tries_left == 2);
  CHECK(back->is_rejected(std::string(64, 'd')));
  CHECK(back->events.back().text == "hello");
}

TEST_CASE("events are bounded") {
  State s;
  for (int i = 0; i < 100; ++i) s.add_event(std::to_string(i));
  CHECK(s.events.size() == 32);
  CHECK(s.events.back().text == "99");
}

TEST_CASE("a damaged state file is an error naming what is wrong, never a crash") {
  CHECK_FALSE(parse_state("").ok());
  CHECK_FALSE(parse_state("{").ok());
  CHECK_FALSE(parse_state("[1,2]").ok());
  CHECK_FALSE(parse_state(R"({"format": 9})").ok());
  CHECK_FALSE(parse_state(R"({"format": 1, "step": "dance"})").ok());
  CHECK_FALSE(parse_state(R"({"format": 1, "deployed": {"version": "1"}})").ok());
  CHECK_FALSE(parse_state(R"({"format": 1, "trial": {"commit": 5}})").ok());
  auto e = parse_state(R"({"format": 1, "step": "dance"})");
  CHECK(e.error().message.find("dance") != std::string::npos);
  CHECK(parse_state(R"({"format": 1})").ok());
}

TEST_CASE("numbers out of range in the journal are bad values, not undefined behaviour") {
  // Found by the fuzzer on a fresh machine: a double this large converted to int64_t is UB.
  // In an event (informational) the bad one is dropped; the journal stays usable.
  auto big = parse_state(
      R"({"format": 1, "events": [{"time": 17000000000000000000000000000000, "text": "x"}, {"time": 5, "text": "y"}]})");
  REQUIRE(big.ok());
  REQUIRE(big->events.size() == 1);
  CHECK(big->events[0].text == "y");
  CHECK(parse_state(R"({"format": 1, "events": [{"time": 1.5, "text": "x"}]})")->events.empty());
  // In the trial (it decides rollbacks) a bad value is an error naming the field.
  auto bad = parse_state(R"({"format": 1, "trial": {"commit": "a", "tries_left": 1.5}})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("tries_left") != std::string::npos);
  CHECK_FALSE(parse_state(R"({"format": 1, "trial": {"commit": "a", "tries_left": 1e300}})").ok());
  CHECK_FALSE(parse_state(R"({"format": 1, "trial": {"commit": "a", "tries_left": 4294967296}})").ok());
  CHECK_FALSE(parse_state(R"({"format": 1, "trial": {"commit": "a", "tries_left": -1}})").ok());
  CHECK(parse_state(R"({"format": 1, "events": [{"time": 1764633600, "text": "x"}]})").ok());
}

TEST_CASE("an event with bytes that are not UTF-8 is saved, not thrown on") {
  // Event texts carry server data (versions, error messages): never trusted to be UTF-8.
  State s;
  s.add_event("version \xff\xfe from the server");
  std::string text;
  REQUIRE_NOTHROW(text = serialize_state(s));
  auto back = parse_state(text);
  REQUIRE(back.ok());
  CHECK(back->events.back().text.find("from the server") != std::string::npos);
}

// Issue 16: the floor and the rejected list are kept twice, so that losing the journal loses
// neither.
TEST_CASE("the floor and the rejected list survive a lost journal; an unreadable record is kept") {
  std::string dir = test::sh_out("mktemp -d");
  std::string path = dir + "/state";
  State s;
  s.deployed = Deployment{std::string(64, 'a'), "2.0"};
  s.raise_floor(Floor{200, "2.0", std::string(64, 'a')});
  s.raise_floor(Floor{100, "1.0", std::string(64, 'b')});  // never lowered
  s.rejected = {std::string(64, 'd')};
  REQUIRE(save_state(path, s).ok());
  REQUIRE(::unlink(path.c_str()) == 0);
  auto lost = load_state(path);
  REQUIRE(lost.ok());
  CHECK_FALSE(lost->deployed);
  REQUIRE(lost->floor);
  CHECK(lost->floor->version == "2.0");
  CHECK(lost->is_rejected(std::string(64, 'd')));
  CHECK_FALSE(lost->floor_unknown);

  // A damaged record next to a good journal: the journal's copy stands and is written back.
  REQUIRE(save_state(path, s).ok());
  REQUIRE(write_file_atomic(trust_record_path(path), "{").ok());
  auto with_journal = load_state(path);
  REQUIRE(with_journal.ok());
  CHECK_FALSE(with_journal->floor_unknown);
  CHECK(with_journal->floor->timestamp == 200);
  REQUIRE(save_state(path, *with_journal).ok());
  CHECK(test::read_text(trust_record_path(path)).find("\"2.0\"") != std::string::npos);

  // A damaged record and no journal: the floor is unknown, and the record is left as it is.
  REQUIRE(write_file_atomic(trust_record_path(path), "{").ok());
  REQUIRE(::unlink(path.c_str()) == 0);
  auto unknown = load_state(path);
  REQUIRE(unknown.ok());
  CHECK(unknown->floor_unknown);
  REQUIRE(save_state(path, *unknown).ok());
  CHECK(test::read_text(trust_record_path(path)) == "{");
  test::sh("rm -rf " + dir);
}
