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

// The streaming form sees SplitShellWords' words, in order, each in the one
// reused buffer; an error comes after the words before it.
TEST(ForEachShellWordTest, VisitsTheWordsSplitShellWordsReturns) {
  const std::string text = R"(cat "a b" 'c'd \e   ${inputs.x} > out)";
  auto split = SplitShellWords(text);
  ASSERT_TRUE(split.ok());
  std::vector<std::pair<std::string, bool>> seen;
  ASSERT_TRUE(ForEachShellWord(text, [&](const ShellWord& w) { seen.emplace_back(w.text, w.quoted); }).ok());
  ASSERT_EQ(seen.size(), split->size());
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].first, (*split)[i].text) << i;
    EXPECT_EQ(seen[i].second, (*split)[i].quoted) << i;
  }
  std::vector<std::string> before_error;
  Status s = ForEachShellWord("a b 'open", [&](const ShellWord& w) { before_error.push_back(w.text); });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(before_error, (std::vector<std::string>{"a", "b"}));
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
