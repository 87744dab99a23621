// The libyaml-based node tree: kinds, scalar styles, marks (yaml-cpp's
// conventions, which the spec diagnostics were written against) and errors.
#include "mlpipe/spec/yaml_tree.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlpipe::spec::internal {
namespace {

using ::testing::HasSubstr;

YamlDocument Parse(std::string_view text) {
  YamlDocument doc;
  auto error = ParseYaml(text, &doc);
  EXPECT_FALSE(error.has_value()) << error->message;
  return doc;
}

const YamlNode& Value(const YamlNode& map, std::string_view key) {
  for (const auto& pair : map.pairs()) {
    if (pair.key->Scalar() == key) return *pair.value;
  }
  ADD_FAILURE() << "no key " << key;
  return map;
}

TEST(YamlTreeTest, KindsAndScalarStyles) {
  YamlDocument doc = Parse(
      "a: 1\nb:\nc: ~\nd: null\ne: \"null\"\nf: 'x'\ng: |\n  text\nh: !!str 5\ni: ! word\nj: [x, y]\nk: {z: "
      "1}\n");
  const YamlNode& root = doc.root();
  ASSERT_TRUE(root.IsMap());
  EXPECT_EQ(root.size(), 11u);
  EXPECT_TRUE(Value(root, "a").IsPlainScalar());
  EXPECT_EQ(Value(root, "a").Scalar(), "1");
  EXPECT_TRUE(Value(root, "b").IsNull());
  EXPECT_TRUE(Value(root, "c").IsNull());
  EXPECT_TRUE(Value(root, "d").IsNull());
  EXPECT_TRUE(Value(root, "e").IsScalar());
  EXPECT_FALSE(Value(root, "e").IsPlainScalar());
  EXPECT_EQ(Value(root, "e").Scalar(), "null");
  EXPECT_FALSE(Value(root, "f").IsPlainScalar());
  EXPECT_FALSE(Value(root, "g").IsPlainScalar());
  EXPECT_EQ(Value(root, "g").Scalar(), "text\n");
  EXPECT_TRUE(Value(root, "h").IsPlainScalar());  // explicit tags other than '!' read as plain, like yaml-cpp
  EXPECT_FALSE(Value(root, "i").IsPlainScalar());
  ASSERT_TRUE(Value(root, "j").IsSequence());
  EXPECT_EQ(Value(root, "j").items()[1]->Scalar(), "y");
  EXPECT_TRUE(Value(root, "k").IsMap());
}

TEST(YamlTreeTest, MarksAreOneBasedAtTheFirstToken) {
  YamlDocument doc = Parse("top:\n  key: value\n  list:\n  - a\n  - &x b\n  flow: [c, {d: e}]\n");
  const YamlNode& top = Value(doc.root(), "top");
  EXPECT_EQ(doc.root().line(), 1);
  EXPECT_EQ(doc.root().column(), 1);
  EXPECT_EQ(top.line(), 2);  // a block map starts at its first key
  EXPECT_EQ(top.column(), 3);
  EXPECT_EQ(top.pairs()[0].key->column(), 3);
  EXPECT_EQ(top.pairs()[0].value->column(), 8);
  const YamlNode& list = Value(top, "list");
  EXPECT_EQ(list.line(), 4);  // an indentless sequence starts at its first '-'
  EXPECT_EQ(list.column(), 3);
  EXPECT_EQ(list.items()[1]->column(), 5);  // an anchored node starts at its anchor
  const YamlNode& flow = Value(top, "flow");
  EXPECT_EQ(flow.column(), 9);
  EXPECT_EQ(flow.items()[1]->column(), 13);
}

TEST(YamlTreeTest, ColumnsCountBytesAndCrLfIsOneLineBreak) {
  YamlDocument doc = Parse("\xC3\xA9t\xC3\xA9: [\xC3\xA9, x]\r\nnext: y\r\n");
  const YamlNode& seq = *doc.root().pairs()[0].value;
  EXPECT_EQ(seq.column(), 8);
  EXPECT_EQ(seq.items()[1]->column(), 13);
  EXPECT_EQ(doc.root().pairs()[1].value->line(), 2);
  EXPECT_EQ(doc.root().pairs()[1].value->column(), 7);
}

TEST(YamlTreeTest, EmptyValuesSitWhereTheNextTokenStarts) {
  YamlDocument doc = Parse("a:\n  # comment\nb:\n  -\n  - x\n");
  EXPECT_EQ(doc.root().pairs()[0].value->line(), 3);
  EXPECT_EQ(doc.root().pairs()[0].value->column(), 1);
  const YamlNode& first = *doc.root().pairs()[1].value->items()[0];
  EXPECT_TRUE(first.IsNull());
  EXPECT_EQ(first.line(), 5);
  EXPECT_EQ(first.column(), 3);
}

TEST(YamlTreeTest, DuplicateKeysAreKeptInOrder) {
  YamlDocument doc = Parse("a: 1\nb: 2\na: 3\n");
  ASSERT_EQ(doc.root().size(), 3u);
  EXPECT_EQ(doc.root().pairs()[2].key->Scalar(), "a");
  EXPECT_EQ(doc.root().pairs()[2].key->line(), 3);
  EXPECT_EQ(doc.root().pairs()[2].value->Scalar(), "3");
}

TEST(YamlTreeTest, AliasIsTheAnchoredNode) {
  YamlDocument doc = Parse("base: &b {x: 1}\nuse: *b\n");
  EXPECT_EQ(doc.root().pairs()[0].value, doc.root().pairs()[1].value);
}

std::string LongMap(int n, std::string_view tail) {
  std::string text;
  for (int i = 0; i < n; ++i) text += "k" + std::to_string(i) + ": v" + std::to_string(i) + "\n";
  text += tail;
  return text;
}

TEST(YamlTreeTest, ReleaseNodesFreesWholeBlocksInsideTheRange) {
  YamlDocument doc = Parse(LongMap(20000, ""));
  auto pairs = doc.root().pairs();
  ASSERT_EQ(pairs.size(), 20000u);
  const size_t all = doc.LiveNodes();
  EXPECT_EQ(all, 40001u);  // the map, 20,000 keys and values
  doc.ReleaseNodes(doc.IndexOf(pairs[19999].key), doc.IndexOf(pairs[0].key));  // backwards: nothing
  EXPECT_EQ(doc.LiveNodes(), all);
  doc.ReleaseNodes(doc.IndexOf(pairs[0].key), doc.IndexOf(pairs[19999].key));
  EXPECT_LT(doc.LiveNodes(), all / 4);
  // The nodes after the range (and the blocks they share) are intact.
  EXPECT_EQ(pairs[19999].key->Scalar(), "k19999");
  EXPECT_EQ(pairs[19999].value->Scalar(), "v19999");
  EXPECT_EQ(doc.root().size(), 20000u);
}

// The loader releases [first step, next step) again after every step: the
// start of the range may already be gone, the later releases still work.
TEST(YamlTreeTest, ReleaseNodesGrowsARangeWhoseStartIsAlreadyReleased) {
  YamlDocument doc = Parse(LongMap(20000, ""));
  // The root's pairs go with the root's block: take what is used later first.
  const YamlNode::Pair last = doc.root().pairs()[19999];
  const size_t first_end = doc.IndexOf(doc.root().pairs()[5000].key);
  const size_t all = doc.LiveNodes();
  doc.ReleaseNodes(0, first_end);  // frees the block that holds the root
  const size_t after_first = doc.LiveNodes();
  EXPECT_LT(after_first, all);
  EXPECT_EQ(doc.IndexOf(&doc.root()), SIZE_MAX);
  doc.ReleaseNodes(0, doc.IndexOf(last.key));
  EXPECT_LT(doc.LiveNodes(), after_first);
  EXPECT_EQ(last.value->Scalar(), "v19999");
}

// A released block takes its scalars' text and its collections' children
// lists with it, not only its nodes.
TEST(YamlTreeTest, ReleaseNodesFreesTheTextAndChildrenOfTheReleasedNodes) {
  std::string text = "root: [a]\nsteps:\n";
  const std::string long_value(200, 'x');
  for (int i = 0; i < 5000; ++i) text += fmt::format("  s{}: {{run: {}, after: [a, b]}}\n", i, long_value);
  YamlDocument doc = Parse(text);
  const YamlNode& steps = Value(doc.root(), "steps");
  const YamlNode::Pair last = steps.pairs()[4999];
  const size_t before = doc.LiveBytes();
  // Text alone is 5,000 x 200 bytes; nodes, 5,000 x 7.
  EXPECT_GT(before, 5000u * 200 + 5000u * 7 * sizeof(YamlNode));
  doc.ReleaseNodes(doc.IndexOf(steps.pairs()[0].key), doc.IndexOf(last.key));
  // Kept: the first block (the root's) and the last step's. Less than half
  // the text alone, so the released blocks' text went with them.
  EXPECT_LT(doc.LiveBytes(), 5000u * 200 / 2);
  // What is left is whole: the last step, and the map that lists the steps.
  EXPECT_EQ(Value(*last.value, "run").Scalar(), long_value);
  EXPECT_EQ(Value(*last.value, "after").items()[1]->Scalar(), "b");
  EXPECT_EQ(Value(doc.root(), "root").items()[0]->Scalar(), "a");
  EXPECT_EQ(steps.size(), 5000u);
}

// The loader releases the last step up to NodeCount(): the last block,
// partly used, goes too.
TEST(YamlTreeTest, ReleaseNodesUpToNodeCountFreesTheLastBlock) {
  YamlDocument doc = Parse(LongMap(20000, ""));
  auto pairs = doc.root().pairs();
  EXPECT_EQ(doc.NodeCount(), 40001u);
  doc.ReleaseNodes(1, doc.NodeCount());
  EXPECT_EQ(doc.IndexOf(pairs[19999].value), SIZE_MAX) << "the last block was kept";
  EXPECT_EQ(doc.NodeCount(), 40001u);  // indexes stay as they were
  EXPECT_LT(doc.LiveNodes(), 200u);    // only the first block, with the root
  EXPECT_EQ(doc.IndexOf(&doc.root()), 0u);
}

TEST(YamlTreeTest, ReleaseNodesKeepsEverythingInADocumentWithAnAlias) {
  YamlDocument doc = Parse(LongMap(20000, "last: *a\n").insert(0, "first: &a {x: 1}\n"));
  auto pairs = doc.root().pairs();
  const size_t all = doc.LiveNodes();
  doc.ReleaseNodes(doc.IndexOf(pairs[0].key), doc.IndexOf(pairs[pairs.size() - 1].key));
  EXPECT_EQ(doc.LiveNodes(), all);
  EXPECT_EQ(Value(*pairs[pairs.size() - 1].value, "x").Scalar(), "1");
}

TEST(YamlTreeTest, EmptyStreamIsNullWithoutPosition) {
  YamlDocument doc = Parse("# nothing here\n");
  EXPECT_TRUE(doc.root().IsNull());
  EXPECT_EQ(doc.root().line(), 0);
}

TEST(YamlTreeTest, OnlyTheFirstDocumentIsRead) {
  YamlDocument doc = Parse("a: 1\n---\nb: 2\n");
  ASSERT_EQ(doc.root().size(), 1u);
  EXPECT_EQ(doc.root().pairs()[0].key->Scalar(), "a");
}

TEST(YamlTreeTest, SyntaxErrorsHaveProblemPositionAndContext) {
  YamlDocument doc;
  auto error = ParseYaml("a:\n  run: [echo\n", &doc);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->line, 3);
  EXPECT_EQ(error->column, 1);
  EXPECT_THAT(error->message, HasSubstr("while parsing a flow sequence at line 2, column 8"));

  error = ParseYaml("a: b: c\n", &doc);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->line, 1);
  EXPECT_EQ(error->column, 5);

  error = ParseYaml("a: *nope\n", &doc);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, "found undefined alias 'nope'");
  EXPECT_EQ(error->column, 4);

  error = ParseYaml("a: 1\nb: \xFF\n", &doc);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->line, 2);
  EXPECT_EQ(error->column, 4);
  EXPECT_TRUE(doc.root().IsNull());
}

TEST(YamlTreeTest, ErrorAfterTheRootScalarIsStillFound) {
  YamlDocument doc;
  auto error = ParseYaml("text\n  more: x\n", &doc);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->line, 2);
}

}  // namespace
}  // namespace mlpipe::spec::internal
