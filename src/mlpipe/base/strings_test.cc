#include "mlpipe/base/strings.h"

#include <gtest/gtest.h>

namespace mlpipe {
namespace {

TEST(StringsTest, SplitJoinRoundTrip) {
  auto parts = Split("a.b..c", '.');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(Join(parts, "."), "a.b..c");
}

TEST(StringsTest, AsciiLowerChangesOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLower("Content-Type: AND"), "content-type: and");
  EXPECT_EQ(AsciiLower("\xc3\x89t\xc3\xa9 @Z["), "\xc3\x89t\xc3\xa9 @z[");  // UTF-8 bytes kept
  EXPECT_EQ(AsciiLower(""), "");
}

TEST(StringsTest, ClosestMatchSuggestsTypos) {
  std::vector<std::string> keys = {"run", "inputs", "outputs", "retries", "timeout"};
  EXPECT_EQ(ClosestMatch("retires", keys), "retries");
  EXPECT_EQ(ClosestMatch("ouputs", keys), "outputs");
  EXPECT_EQ(ClosestMatch("zzzzzz", keys), "");
}

TEST(StringsTest, FormatsDurationsAndBytes) {
  EXPECT_EQ(FormatDuration(340'000'000), "340ms");
  EXPECT_EQ(FormatDuration(1'500'000'000), "1.5s");
  EXPECT_EQ(FormatDuration(125'000'000'000), "2m05s");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(12), "12 B");
}

TEST(StringsTest, ShellQuoteKeepsOneWordWhateverItHolds) {
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("it's $x"), "'it'\\''s $x'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(StringsTest, Trim) { EXPECT_EQ(Trim("  x y\r\n"), "x y"); }

TEST(StringsTest, HexDigitValueReadsBothCasesAndRefusesTheRest) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('%'), -1);
}

}  // namespace
}  // namespace mlpipe
