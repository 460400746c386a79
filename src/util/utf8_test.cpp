// UTF-8 decoding, sanitising and the completeness test streaming relies on.
#include "util/utf8.h"

#include <gtest/gtest.h>

namespace rightsize {
namespace {

TEST(Utf8, DecodesAndEncodesEveryLength) {
  for (uint32_t cp : {0x24u, 0xA2u, 0x20ACu, 0x10348u, 0x10FFFFu}) {
    std::string s;
    utf8_append(s, cp);
    size_t pos = 0;
    uint32_t got = 0;
    ASSERT_TRUE(utf8_decode(s, pos, got));
    EXPECT_EQ(got, cp);
    EXPECT_EQ(pos, s.size());
    EXPECT_EQ(utf8_lead_length(static_cast<uint8_t>(s[0])), s.size());
  }
}

TEST(Utf8, RejectsOverlongsSurrogatesAndOutOfRange) {
  for (std::string bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                          "\xF8\x88\x80\x80\x80", "\x80", "\xE2\x82"}) {
    EXPECT_FALSE(utf8_is_valid(bad)) << bad;
  }
  EXPECT_TRUE(utf8_is_valid("plain \xE2\x82\xAC \xF0\x9F\xA6\x99"));
}

TEST(Utf8, SanitizeReplacesEachBadByte) {
  EXPECT_EQ(utf8_sanitize("a\xFF"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(utf8_sanitize("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(utf8_sanitize("ok"), "ok");
}

TEST(Utf8, CompletePrefixHoldsBackOnlyAnUnfinishedCharacter) {
  EXPECT_EQ(utf8_complete_prefix("ab"), 2u);
  EXPECT_EQ(utf8_complete_prefix("a\xE2\x82"), 1u);  // waits for the third byte
  EXPECT_EQ(utf8_complete_prefix("a\xF0\x9F\xA6"), 1u);
  EXPECT_EQ(utf8_complete_prefix("a\xE2\x82\xAC"), 4u);  // complete
  EXPECT_EQ(utf8_complete_prefix("a\xFF"), 2u);          // can never complete: release
  EXPECT_EQ(utf8_complete_prefix("a\xE0\x80"), 3u);      // overlong start: release
  EXPECT_EQ(utf8_complete_prefix("a\xE2"
                                 "b"),
            3u);
  EXPECT_EQ(utf8_complete_prefix(""), 0u);
}

}  // namespace
}  // namespace rightsize
