// util/Time: ISO 8601 parsing and formatting.
#include "util/Time.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using mantra::formatIsoTime;
using mantra::parseIsoTime;

namespace {
// 2026-11-25T11:45:06Z in ms since the epoch (computed independently: 20782 days since 1970-01-01).
constexpr int64_t kBase = (20782LL * 86400 + 11 * 3600 + 45 * 60 + 6) * 1000;
} // namespace

TEST_CASE("parseIsoTime reads UTC timestamps with and without a fraction", "[time]") {
  REQUIRE(parseIsoTime("1970-01-01T00:00:00Z") == std::optional<int64_t>(0));
  REQUIRE(parseIsoTime("1970-01-01T00:00:01Z") == std::optional<int64_t>(1000));
  REQUIRE(parseIsoTime("2026-11-25T11:45:06Z") == std::optional<int64_t>(kBase));
  REQUIRE(parseIsoTime("2026-11-25T11:45:06.683Z") == std::optional<int64_t>(kBase + 683));
  REQUIRE(parseIsoTime("2026-11-25t11:45:06.683z") == std::optional<int64_t>(kBase + 683));
  REQUIRE(parseIsoTime("2000-02-29T12:00:00Z") == std::optional<int64_t>(951825600000LL));
}

TEST_CASE("parseIsoTime handles fractions of any length", "[time]") {
  CHECK(parseIsoTime("2026-11-25T11:45:06.5Z") == std::optional<int64_t>(kBase + 500));
  CHECK(parseIsoTime("2026-11-25T11:45:06.05Z") == std::optional<int64_t>(kBase + 50));
  CHECK(parseIsoTime("2026-11-25T11:45:06.683Z") == std::optional<int64_t>(kBase + 683));
  // Micro- and nanoseconds are truncated to milliseconds, not rounded.
  CHECK(parseIsoTime("2026-11-25T11:45:06.683999Z") == std::optional<int64_t>(kBase + 683));
  CHECK(parseIsoTime("2026-11-25T11:45:06.123456789Z") == std::optional<int64_t>(kBase + 123));
  // A comma is the other ISO 8601 decimal sign.
  CHECK(parseIsoTime("2026-11-25T11:45:06,250Z") == std::optional<int64_t>(kBase + 250));
}

TEST_CASE("parseIsoTime applies offsets", "[time]") {
  const int64_t hour = 3600 * 1000;
  CHECK(parseIsoTime("2026-11-25T13:45:06+02:00") == std::optional<int64_t>(kBase));
  CHECK(parseIsoTime("2026-11-25T13:45:06+0200") == std::optional<int64_t>(kBase));
  CHECK(parseIsoTime("2026-11-25T13:45:06+02") == std::optional<int64_t>(kBase));
  CHECK(parseIsoTime("2026-11-25T06:15:06-05:30") == std::optional<int64_t>(kBase));
  CHECK(parseIsoTime("2026-11-25T11:45:06+00:00") == std::optional<int64_t>(kBase));
  CHECK(parseIsoTime("2026-11-25T11:45:06.683+01:00") ==
        std::optional<int64_t>(kBase + 683 - hour));
  // An offset that crosses midnight changes the date.
  CHECK(parseIsoTime("2026-11-26T01:00:00+02:00") == parseIsoTime("2026-11-25T23:00:00Z"));
  CHECK(parseIsoTime("2026-11-24T22:00:00-02:00") == parseIsoTime("2026-11-25T00:00:00Z"));
}

TEST_CASE("parseIsoTime accepts a space separator, no seconds and a bare date", "[time]") {
  CHECK(parseIsoTime("2026-11-25 11:45:06") == std::optional<int64_t>(kBase));
  CHECK(parseIsoTime("2026-11-25T11:45") == std::optional<int64_t>(kBase - 6000));
  CHECK(parseIsoTime("2026-11-25") == std::optional<int64_t>(20782LL * 86400 * 1000));
  CHECK(parseIsoTime("1969-12-31") == std::optional<int64_t>(-86400LL * 1000));
  // No zone means UTC.
  CHECK(parseIsoTime("2026-11-25T11:45:06") == parseIsoTime("2026-11-25T11:45:06Z"));
}

TEST_CASE("parseIsoTime rejects malformed input without throwing", "[time]") {
  const std::vector<std::string> bad = {
      "",
      "yesterday",
      "2026",
      "2026-11",
      "2026/11/25",
      "26-11-25",
      "2026-11-25T",
      "2026-11-25T11",
      "2026-11-25T1:45:06Z",
      "2026-11-25T11:45:0Z",
      "2026-13-01",
      "2026-00-10",
      "2026-11-00",
      "2026-11-32",
      "2026-02-30",
      "2026-04-31",
      "2025-02-29",
      "2026-11-25T24:00:00Z",
      "2026-11-25T11:60:00Z",
      "2026-11-25T11:45:61Z",
      "2026-11-25T11:45:06Q",
      "2026-11-25T11:45:06Z junk",
      "2026-11-25T11:45:06ZZ",
      "2026-11-25T11:45:06+2",
      "2026-11-25T11:45:06+02:0",
      "2026-11-25T11:45:06+ab:00",
      "2026-11-25T11:45:06+02:",
      "2026-11-25T11:45:06+24:00",
      "2026-11-25T11:45:06+02:60",
      "2026-11-25T11:45:06.Z",
      "2026-11-25T11:45:06.",
      "2026-11-25T11:45:06,+01:00",
      "2026-11-25x",
      " 2026-11-25",
      "2026-11-25 ",
      "1764071106683",
  };
  for (const auto &s : bad) {
    INFO("input: '" << s << "'");
    CHECK_NOTHROW(parseIsoTime(s));
    CHECK_FALSE(parseIsoTime(s).has_value());
  }
  // Leap years are valid.
  CHECK(parseIsoTime("2024-02-29").has_value());
  CHECK(parseIsoTime("2000-02-29").has_value());
}

TEST_CASE("formatIsoTime prints UTC with milliseconds and a Z", "[time]") {
  CHECK(formatIsoTime(0) == "1970-01-01T00:00:00.000Z");
  CHECK(formatIsoTime(kBase + 683) == "2026-11-25T11:45:06.683Z");
  CHECK(formatIsoTime(kBase) == "2026-11-25T11:45:06.000Z");
  CHECK(formatIsoTime(951825600000LL) == "2000-02-29T12:00:00.000Z");
  CHECK(formatIsoTime(951868799999LL) == "2000-02-29T23:59:59.999Z");
  // Before the epoch: floor division, not truncation.
  CHECK(formatIsoTime(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(formatIsoTime(-1000) == "1969-12-31T23:59:59.000Z");
  CHECK(formatIsoTime(-86400000) == "1969-12-31T00:00:00.000Z");
}

TEST_CASE("ISO timestamps round-trip through parse and format", "[time]") {
  const std::vector<std::string> samples = {
      "1970-01-01T00:00:00.000Z", "1999-12-31T23:59:59.999Z", "2000-01-01T00:00:00.001Z",
      "2024-02-29T08:30:15.250Z", "2026-11-25T11:45:06.683Z", "2038-01-19T03:14:08.000Z",
      "2100-03-01T00:00:00.000Z", "1969-07-20T20:17:40.123Z",
  };
  for (const auto &s : samples) {
    INFO(s);
    auto ms = parseIsoTime(s);
    REQUIRE(ms.has_value());
    CHECK(formatIsoTime(*ms) == s);
  }
  // And ms → string → ms over a spread of values, including negative ones.
  for (int64_t ms = -200000000000LL; ms < 5000000000000LL; ms += 123456789011LL) {
    INFO(ms);
    CHECK(parseIsoTime(formatIsoTime(ms)) == std::optional<int64_t>(ms));
  }
  // An offset form normalizes to Z.
  CHECK(formatIsoTime(*parseIsoTime("2026-11-25T13:45:06.683+02:00")) ==
        "2026-11-25T11:45:06.683Z");
}

TEST_CASE("nowMs is close to the wall clock", "[time]") {
  const int64_t now = mantra::nowMs();
  CHECK(now > *parseIsoTime("2024-01-01"));
  CHECK(now < *parseIsoTime("2100-01-01"));
}
