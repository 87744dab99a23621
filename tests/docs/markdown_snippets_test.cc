// How the docs snippet test reads Markdown blocks and makes pipelines of them.
#include "tests/docs/markdown_snippets.h"

#include <gtest/gtest.h>

#include "tests/docs/snippet_pipeline.h"

namespace mlpipe::docs {
namespace {

TEST(MarkdownSnippetsTest, BlocksKeepTheirLineLanguageAndMarker) {
  auto s = ExtractSnippets(
      "# T\n"
      "\n"
      "<!-- snippet: fragment-of steps -->\n"
      "\n"
      "```yaml\n"
      "a: 1\n"
      "```\n"
      "text\n"
      "```sh\n"
      "mlpipe runs list\n"
      "```\n"
      "<!-- snippet: skip the reason -->\n"
      "~~~json\n"
      "{}\n"
      "~~~\n"
      "<!-- snippet: wat -->\n"
      "```\n"
      "x\n",
      "p.md");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].fence_line, 5);
  EXPECT_EQ(s[0].lang, "yaml");
  EXPECT_EQ(s[0].text, "a: 1\n");
  EXPECT_EQ(s[0].kind, "fragment-of");
  EXPECT_EQ(s[0].args, std::vector<std::string>{"steps"});
  EXPECT_EQ(s[1].kind, "");  // the marker belongs to the block right after it only
  EXPECT_EQ(s[1].text, "mlpipe runs list\n");
  EXPECT_EQ(s[2].kind, "skip");
  EXPECT_EQ(s[2].args, (std::vector<std::string>{"the", "reason"}));
  EXPECT_EQ(s[2].lang, "json");
  EXPECT_NE(s[3].marker_error.find("unknown snippet kind 'wat'"), std::string::npos);
  EXPECT_EQ(s[3].text, "x\n");  // unclosed: to the end
  EXPECT_EQ(s[3].Where(), "p.md:17");
}

TEST(MarkdownSnippetsTest, MalformedMarkersAreErrors) {
  auto bad = [](const std::string& marker) {
    return ExtractSnippets(marker + "\n```yaml\na: 1\n```\n", "p.md")[0].marker_error;
  };
  EXPECT_NE(bad("<!-- snippet: skip -->"), "");
  EXPECT_NE(bad("<!-- snippet: fragment-of step -->"), "");
  EXPECT_NE(bad("<!-- snippet: file -->"), "");
  EXPECT_NE(bad("<!-- snippet: file a.yaml touch -->"), "");
  EXPECT_EQ(bad("<!-- snippet: file a.yaml touch b.py c.py -->"), "");
  EXPECT_NE(bad("<!-- snippet: fragment-of steps touch -->"), "");
  EXPECT_NE(bad("<!-- snippet: fragment-of steps b.py -->"), "");
  EXPECT_EQ(bad("<!-- snippet: fragment-of pipeline touch scripts/check.py -->"), "");
  EXPECT_EQ(bad("<!-- snippet: synopsis -->"), "");
}

TEST(MarkdownSnippetsTest, ParamTablesUnderABuiltinsHeading) {
  auto tables = ExtractParamTables(
      "## split\n"
      "| name | default |\n"
      "|---|---|\n"
      "| `method` | random |\n"
      "| `min_a`, `min_b` | 0 |\n"
      "\n"
      "```\n"
      "| name | x |\n"
      "```\n"
      "## Reading CSV\n"
      "| name | default |\n"
      "|---|---|\n"
      "| `x` | 1 |\n"
      "### `train`\n"
      "| param | type |\n"
      "|---|---|\n"
      "| `rounds` | int |\n"
      "| kind | what |\n");
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].section, "split");
  EXPECT_EQ(tables[0].params,
            (std::vector<std::pair<int, std::string>>{{4, "method"}, {5, "min_a"}, {5, "min_b"}}));
  EXPECT_EQ(tables[1].section, "train");
  EXPECT_EQ(tables[1].params, (std::vector<std::pair<int, std::string>>{{17, "rounds"}}));
}

Snippet Block(const std::string& text, const std::string& kind = "", std::vector<std::string> args = {}) {
  Snippet s;
  s.file = "p.md";
  s.fence_line = 10;
  s.lang = "yaml";
  s.text = text;
  s.kind = kind;
  s.args = std::move(args);
  return s;
}

TEST(SnippetPipelineTest, AWholePipelineIsKeptLineForLine) {
  Snippet s = Block("pipeline: p\nsteps:\n  a:\n    uses: mlpipe/split\n    inputs: {data: data/x.csv}\n");
  PipelineFile f = MakePipelineFile(s);
  ASSERT_EQ(f.error, "");
  EXPECT_EQ(f.text, s.text);
  EXPECT_EQ(f.MarkdownLine(4, s), 14);
  EXPECT_EQ(f.sources, std::vector<std::string>{"data/x.csv"});
  EXPECT_NE(MakePipelineFile(Block("params: {a: 1}\n")).error.find("fragment-of"), std::string::npos);
}

TEST(SnippetPipelineTest, StepsFragmentGetsStubsForWhatItReads) {
  Snippet s = Block(
      "  train:\n"
      "    uses: ./c.yaml\n"
      "    inputs: {train: split.train, valid: split.valid}\n"
      "    params: {depth: \"${params.max_depth}\"}\n",
      "fragment-of", {"steps"});
  PipelineFile f = MakePipelineFile(s);
  ASSERT_EQ(f.error, "");
  EXPECT_EQ(f.text,
            "pipeline: snippet\n"
            "params:\n"
            "  max_depth: \"\"\n"
            "steps:\n"
            "  train:\n"
            "    uses: ./c.yaml\n"
            "    inputs: {train: split.train, valid: split.valid}\n"
            "    params: {depth: \"${params.max_depth}\"}\n"
            "  split:\n"
            "    run: [touch, \"${outputs.train}\", \"${outputs.valid}\"]\n"
            "    outputs:\n"
            "      train:\n"
            "      valid:\n");
  EXPECT_EQ(f.MarkdownLine(6, s), 12);   // uses:
  EXPECT_EQ(f.MarkdownLine(10, s), 11);  // a stub line: the block's first
}

TEST(SnippetPipelineTest, ScriptsAndNotebooksAStepRunsAreBroughtLikeData) {
  Snippet s = Block(
      "  count:\n"
      "    run: python3 scripts/count.py --in ${inputs.text} -v\n"
      "    inputs: {text: data/words.txt}\n"
      "  look:\n"
      "    uses: mlpipe/notebook\n"
      "    notebook: notebooks/look.ipynb\n"
      "  argv:\n"
      "    run: [bash, tools/go.sh, /usr/bin/env]\n",
      "fragment-of", {"steps"});
  PipelineFile f = MakePipelineFile(s);
  ASSERT_EQ(f.error, "");
  std::set<std::string> got(f.sources.begin(), f.sources.end());
  EXPECT_EQ(got, (std::set<std::string>{"data/words.txt", "scripts/count.py", "notebooks/look.ipynb",
                                        "tools/go.sh"}));
}

TEST(SnippetPipelineTest, RegisterFragmentGetsTypedStubs) {
  Snippet s = Block("register:\n  model: m\n  from: train.model\n  when: evaluate.blessing\n", "fragment-of",
                    {"pipeline"});
  PipelineFile f = MakePipelineFile(s);
  ASSERT_EQ(f.error, "");
  EXPECT_NE(f.text.find("pipeline: snippet\nregister:\n"), std::string::npos) << f.text;
  EXPECT_NE(f.text.find("      model: model\n"), std::string::npos) << f.text;
  EXPECT_NE(f.text.find("      blessing: blessing\n"), std::string::npos) << f.text;
}

TEST(SnippetPipelineTest, SkippedBlocksHaveTheParamsOfTheirBuiltinStepsChecked) {
  Snippet s = Block(
      "split:\n"
      "  uses: mlpipe/split\n"
      "  params: {column: y, seed: \"${params.seed}\"}\n"
      "other:\n"
      "  uses: ./mine.yaml\n"
      "  params: {x: 1}\n",
      "skip", {"why"});
  PipelineFile f = MakeBuiltinParamsFile(s);
  EXPECT_EQ(f.text,
            "pipeline: snippet\n"
            "steps:\n"
            "  s0:\n"
            "    uses: mlpipe/split\n"
            "    params:\n"
            "      column: y\n"
            "      seed: \"${run.id}\"\n");
  EXPECT_EQ(f.report_lines, (std::set<int>{6, 7}));
  EXPECT_EQ(f.MarkdownLine(6, s), 13);
  EXPECT_EQ(MakeBuiltinParamsFile(Block("{not yaml: [")).text, "");
}

}  // namespace
}  // namespace mlpipe::docs
