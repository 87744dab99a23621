#include "mlpipe/spec/shell_words.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlpipe::spec {
namespace {

std::vector<std::string> Words(std::string_view text) {
  auto words = SplitShellWords(text);
  EXPECT_TRUE(words.ok()) << words.status().ToString();
  std::vector<std::string> out;
  if (words.ok()) {
    for (const auto& w : *words) out.push_back(w.text);
  }
  return out;
}

TEST(SplitShellWordsTest, SplitsOnWhitespace) {
  EXPECT_THAT(Words("  python3   a.py\t--x 1\n"), ::testing::ElementsAre("python3", "a.py", "--x", "1"));
  EXPECT_TRUE(Words("").empty());
}

TEST(SplitShellWordsTest, SingleQuotesKeepEverything) {
  EXPECT_THAT(Words(R"(echo 'a b' 'c\d' '$x')"), ::testing::ElementsAre("echo", "a b", R"(c\d)", "$x"));
}

TEST(SplitShellWordsTest, DoubleQuotesEscapeOnlySpecialCharacters) {
  EXPECT_THAT(Words(R"(echo "a \"b\" \\ \n")"), ::testing::ElementsAre("echo", R"(a "b" \ \n)"));
}

TEST(SplitShellWordsTest, BackslashOutsideQuotes) {
  EXPECT_THAT(Words(R"(a\ b c\"d)"), ::testing::ElementsAre("a b", "c\"d"));
  EXPECT_THAT(Words("a \\\nb"), ::testing::ElementsAre("a", "b"));
}

TEST(SplitShellWordsTest, QuotesGlueToWordsAndEmptyQuotesMakeEmptyWords) {
  EXPECT_THAT(Words(R"(--name="a b"x '' "")"), ::testing::ElementsAre("--name=a bx", "", ""));
}

TEST(SplitShellWordsTest, PlaceholdersSurviveAsOneWord) {
  EXPECT_THAT(Words(R"(--out ${outputs.text} "${params.word} x")"),
              ::testing::ElementsAre("--out", "${outputs.text}", "${params.word} x"));
}

TEST(SplitShellWordsTest, UnterminatedQuoteIsAnError) {
  auto words = SplitShellWords("echo 'abc");
  ASSERT_FALSE(words.ok());
  EXPECT_EQ(words.status().message(), "unterminated single quote starting at character 6");
  EXPECT_FALSE(SplitShellWords("echo \"abc").ok());
  EXPECT_FALSE(SplitShellWords("echo abc\\").ok());
}

TEST(SplitShellWordsTest, RecognisesUnquotedOperatorsOnly) {
  auto words = SplitShellWords("a | b '|' >");
  ASSERT_TRUE(words.ok());
  EXPECT_TRUE(IsShellOperator((*words)[1]));
  EXPECT_FALSE(IsShellOperator((*words)[3]));
  EXPECT_TRUE(IsShellOperator((*words)[4]));
  EXPECT_FALSE(IsShellOperator((*words)[0]));
}

}  // namespace
}  // namespace mlpipe::spec
