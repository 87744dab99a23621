// The docs cannot drift from the code: every ```yaml and ```sh block of
// README.md, docs/*.md and examples/**/README.md is checked with the real
// binary, in a scratch project holding a copy of examples/ (one per page).
//
// ```yaml: a whole pipeline, or a marked fragment made into one
// (snippet_pipeline.h), must pass `mlpipe validate`; the sources it reads are
// brought from examples/*/ when the scratch project lacks them. A skipped
// block still has the params of its `uses: mlpipe/NAME` steps checked, so no
// page shows a param a built-in does not have. Markers: markdown_snippets.h.
//
// ```sh: each line starting with `mlpipe` (after `cd` lines, which move the
// folder it runs in; pages under examples/NAME/ start in examples/NAME) is
//   - run for real for validate, status, graph and a run of textstats, and a
//     run of anything else with --dry-run: it must exit 0;
//   - otherwise parsed: its subcommands must exist (`mlpipe ... --help`), and
//     every -flag it uses must be in their help.
// In a `synopsis` block, ` | ` separates alternatives (`runs list | show
// RUN`), each parsed; a real run needs its pipeline file to exist.
//
// A failure names the page's FILE:LINE, the block, and what is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mlpipe/spec/shell_words.h"
#include "tests/docs/markdown_snippets.h"
#include "tests/docs/snippet_pipeline.h"
#include "tests/e2e/e2e_util.h"

namespace mlpipe::docs {
namespace {

namespace fs = std::filesystem;
using e2e::CommandOutput;
using e2e::Project;

// The pages checked, relative to the repository root.
std::vector<std::string> Pages() {
  const fs::path root = MLPIPE_SOURCE_DIR;
  std::vector<std::string> pages = {"README.md"};
  std::vector<std::string> more;
  for (const auto& e : fs::directory_iterator(root / "docs")) {
    if (e.path().extension() == ".md") more.push_back("docs/" + e.path().filename().string());
  }
  for (const auto& e : fs::recursive_directory_iterator(root / "examples")) {
    if (e.path().filename() == "README.md") more.push_back(fs::relative(e.path(), root).string());
  }
  std::sort(more.begin(), more.end());
  pages.insert(pages.end(), more.begin(), more.end());
  return pages;
}

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "docs/pipeline-spec.md" -> "docs_pipeline_spec_md" (a test and folder name).
std::string Slug(const std::string& page) {
  std::string out;
  for (char c : page) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

class DocsSnippetsTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    project_ = std::make_unique<Project>("docs-" + Slug(GetParam()));
    project_->CopyFromRepo("examples", "examples");
    fs::path page(GetParam());
    start_dir_ = page.parent_path().parent_path() == "examples" ? page.parent_path().string() : ".";
  }

  // A failure at the page's `line`, about its block `s`.
  void Fail(const Snippet& s, int line, const std::string& what) {
    ADD_FAILURE() << s.file << ":" << line << ": " << what << "\n  (the ```" << s.lang << " block at "
                  << s.Where() << (s.kind.empty() ? "" : ", marked " + s.kind) << ")";
  }

  // Copies the relative sources a pipeline reads from examples/*/ into the
  // project's root, where the pipeline file is written.
  void BringSources(const std::vector<std::string>& sources) {
    for (const std::string& src : sources) {
      if (fs::exists(project_->Path(src))) continue;
      for (const auto& ex : fs::directory_iterator(project_->Path("examples"))) {
        if (!fs::exists(ex.path() / src)) continue;
        fs::create_directories(fs::path(project_->Path(src)).parent_path());
        fs::copy(ex.path() / src, project_->Path(src), fs::copy_options::recursive);
        break;
      }
    }
  }

  // `mlpipe validate --json` of `file`; each error reported at its page line.
  void Validate(const Snippet& s, const PipelineFile& file, const std::string& as) {
    const std::string name = "snippet-" + std::to_string(s.fence_line) + ".yaml";
    project_->Write(name, file.text);
    BringSources(file.sources);
    CommandOutput r = project_->Mlpipe({"validate", "--json", name});
    auto result = nlohmann::json::parse(r.out, nullptr, false);
    if (result.is_discarded() || !result.contains("errors")) {
      Fail(s, s.fence_line, "mlpipe validate gave no JSON: " + r.out + r.err);
      return;
    }
    for (const auto& e : result["errors"]) {
      const int line = e["line"].get<int>();
      if (!file.report_lines.empty() && !file.report_lines.count(line)) continue;
      const bool ours = e["file"] == name;
      std::string what = "mlpipe validate (" + as +
                         "): " + (ours ? "" : e["file"].get<std::string>() + ": ") +
                         e["message"].get<std::string>();
      if (!e["hint"].get<std::string>().empty()) what += "\n  hint: " + e["hint"].get<std::string>();
      Fail(s, ours ? file.MarkdownLine(line, s) : s.fence_line, what);
    }
  }

  void CheckYaml(const Snippet& s) {
    if (s.kind == "skip") {
      PipelineFile params = MakeBuiltinParamsFile(s);
      if (!params.text.empty()) Validate(s, params, "the params of its mlpipe/ steps");
      return;
    }
    // `file PATH touch ...` and `fragment-of KIND touch ...`: the paths after
    // `touch` are created empty.
    if (s.kind == "file" || s.kind == "fragment-of") {
      for (size_t i = 2; i < s.args.size(); ++i) project_->Write(s.args[i], "");
    }
    if (s.kind == "file") {
      project_->Write(s.args[0], s.text);
      return;
    }
    if (s.kind == "synopsis") {
      Fail(s, s.fence_line, "<!-- snippet: synopsis --> is for ```sh blocks");
      return;
    }
    PipelineFile file = MakePipelineFile(s);
    if (!file.error.empty()) {
      Fail(s, s.fence_line, file.error);
      return;
    }
    Validate(s, file, s.kind.empty() ? "a whole pipeline" : "wrapped as a pipeline");
  }

  // The subcommands a CLI11 help text lists.
  static std::set<std::string> Subcommands(const std::string& help) {
    std::set<std::string> out;
    std::istringstream in(help);
    bool in_list = false;
    for (std::string line; std::getline(in, line);) {
      if (line == "Subcommands:") {
        in_list = true;
      } else if (in_list && line.rfind("  ", 0) == 0) {
        std::istringstream words(line);
        std::string w;
        words >> w;
        out.insert(w);
      } else if (in_list) {
        in_list = false;
      }
    }
    return out;
  }

  // The subcommands exist and every flag is in their help.
  void Parse(const Snippet& s, int line, const std::string& dir, const std::vector<std::string>& words) {
    std::vector<std::string> path;
    CommandOutput help = project_->MlpipeIn(dir, {"--help"});
    for (size_t i = 1; i < words.size() && words[i][0] != '-'; ++i) {
      const std::set<std::string> subcommands = Subcommands(help.out);
      if (!path.empty() && !subcommands.empty() && !subcommands.count(words[i])) {
        Fail(s, line, "mlpipe " + Join(path) + " has no subcommand " + words[i]);
        return;
      }
      if (!subcommands.count(words[i])) break;
      path.push_back(words[i]);
      std::vector<std::string> args = path;
      args.push_back("--help");
      help = project_->MlpipeIn(dir, args);
    }
    const bool top_level_flag = words.size() > 1 && words[1][0] == '-';  // `mlpipe --version`
    if ((path.empty() && !top_level_flag) || help.exit_code != 0) {
      Fail(s, line, "not an mlpipe command: mlpipe " + (words.size() > 1 ? words[1] : "") + "\n" + help.err);
      return;
    }
    for (const std::string& w : words) {
      if (w.size() < 2 || w[0] != '-' || std::isdigit(static_cast<unsigned char>(w[1]))) continue;
      const std::string flag = w.substr(0, w.find('='));
      bool found = false;
      for (size_t at = help.out.find(flag); at != std::string::npos && !found;
           at = help.out.find(flag, at + 1)) {
        const size_t end = at + flag.size();
        found = (at == 0 || help.out[at - 1] == ' ' || help.out[at - 1] == ',') &&
                (end == help.out.size() || !(std::isalnum(static_cast<unsigned char>(help.out[end])) ||
                                             help.out[end] == '-' || help.out[end] == '_'));
      }
      if (!found) Fail(s, line, "mlpipe " + Join(path) + " has no option " + flag);
    }
  }

  // Runs a command that is cheap to run for real; false if it is not one.
  bool RunForReal(const Snippet& s, int line, const std::string& dir, std::vector<std::string> words,
                  bool synopsis) {
    static const std::set<std::string> kReal = {"validate", "status", "graph", "run"};
    if (words.size() < 3 || !kReal.count(words[1])) return false;
    std::string pipeline;
    for (size_t i = 2; i < words.size() && pipeline.empty(); ++i) {
      if (fs::path(words[i]).extension() == ".yaml" || fs::path(words[i]).extension() == ".yml")
        pipeline = words[i];
    }
    if (synopsis && (pipeline.empty() || !fs::exists(fs::path(project_->Path(dir)) / pipeline))) return false;
    if (words[1] == "run" && pipeline.find("textstats") == std::string::npos &&
        std::find(words.begin(), words.end(), "--dry-run") == words.end()) {
      words.push_back("--dry-run");
    }
    CommandOutput r = project_->MlpipeIn(dir, std::vector<std::string>(words.begin() + 1, words.end()));
    if (r.exit_code != 0) {
      Fail(s, line,
           "`" + Join(words) + "` (run in " + dir + ") exited " + std::to_string(r.exit_code) + ":\n" +
               r.out + r.err);
    }
    return true;
  }

  void CheckSh(const Snippet& s) {
    std::string dir = start_dir_;
    std::istringstream in(s.text);
    std::string line, text;
    for (int n = s.fence_line + 1, first = n; std::getline(in, line); ++n) {
      if (text.empty()) first = n;
      if (!line.empty() && line.back() == '\\') {
        text += line.substr(0, line.size() - 1) + " ";
        continue;
      }
      text += line;
      std::string command = text;
      text.clear();
      if (command.rfind("$ ", 0) == 0) command = command.substr(2);
      auto words = spec::SplitShellWords(command);
      if (!words.ok() || words->empty()) continue;
      // Up to a comment; the alternatives of a synopsis, or up to the first
      // shell operator.
      std::vector<std::vector<std::string>> commands(1);
      for (const spec::ShellWord& w : *words) {
        if (!w.quoted && w.text[0] == '#') break;
        if (spec::IsShellOperator(w)) {
          if (s.kind != "synopsis" || w.text != "|") break;
          commands.emplace_back();
          continue;
        }
        commands.back().push_back(w.text);
      }
      if (commands[0].size() == 2 && commands[0][0] == "cd") {
        dir = (fs::path(dir) / commands[0][1]).lexically_normal().string();
        continue;
      }
      if (commands[0].empty() || commands[0][0] != "mlpipe") continue;
      for (size_t i = 1; i < commands.size(); ++i) {  // `runs list | show RUN`: show is under runs
        bool top =
            commands[i].empty() || Subcommands(project_->MlpipeIn(dir, {"--help"}).out).count(commands[i][0]);
        if (!top && commands[0].size() > 1) commands[i].insert(commands[i].begin(), commands[0][1]);
        commands[i].insert(commands[i].begin(), "mlpipe");
      }
      for (const auto& c : commands) {
        if (!RunForReal(s, first, dir, c, s.kind == "synopsis")) Parse(s, first, dir, c);
      }
    }
  }

  static std::string Join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
  }

  std::unique_ptr<Project> project_;
  std::string start_dir_;
};

TEST_P(DocsSnippetsTest, EveryYamlAndShBlockIsValid) {
  const std::string page = GetParam();
  std::vector<Snippet> snippets = ExtractSnippets(Slurp(fs::path(MLPIPE_SOURCE_DIR) / page), page);
  for (const Snippet& s : snippets) {
    if (!s.marker_error.empty()) {
      Fail(s, s.fence_line, s.marker_error);
      continue;
    }
    if (s.lang == "yaml" || s.lang == "yml") {
      CheckYaml(s);
    } else if (s.lang == "sh" || s.lang == "bash" || s.lang == "shell" || s.lang == "console") {
      if (s.kind != "skip") CheckSh(s);
    } else if (!s.kind.empty() && s.kind != "skip") {
      Fail(s, s.fence_line, "a snippet marker on a ```" + s.lang + " block does nothing");
    }
  }
}

// Every param a built-in's table names (`## split` ... | `method` | ...) is a
// param of that built-in.
TEST_P(DocsSnippetsTest, EveryParamInABuiltinsTableExists) {
  const std::string page = GetParam();
  for (const ParamTable& table : ExtractParamTables(Slurp(fs::path(MLPIPE_SOURCE_DIR) / page))) {
    if (table.params.empty()) continue;
    std::string yaml =
        "pipeline: snippet\nsteps:\n  s:\n    uses: mlpipe/" + table.section + "\n    params:\n";
    std::map<int, int> page_line;  // line of the file -> line of the page
    for (const auto& [line, param] : table.params) {
      yaml += "      " + param + ": \"${run.id}\"\n";  // a value known at run time: only the name is checked
      page_line[5 + static_cast<int>(page_line.size()) + 1] = line;
    }
    project_->Write("table.yaml", yaml);
    auto result =
        nlohmann::json::parse(project_->Mlpipe({"validate", "--json", "table.yaml"}).out, nullptr, false);
    ASSERT_FALSE(result.is_discarded());
    for (const auto& e : result["errors"]) {
      const std::string message = e["message"].get<std::string>();
      if (message.rfind("unknown built-in component", 0) == 0) break;  // the heading is no built-in
      auto at = page_line.find(e["line"].get<int>());
      if (at == page_line.end()) continue;  // the step's unbound inputs
      ADD_FAILURE() << page << ":" << at->second << ": the table of `## " << table.section
                    << "` lists a param that "
                    << "mlpipe/" << table.section << " does not have: " << message
                    << "\n  hint: " << e["hint"].get<std::string>();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Pages, DocsSnippetsTest, testing::ValuesIn(Pages()),
                         [](const testing::TestParamInfo<std::string>& info) { return Slug(info.param); });

}  // namespace
}  // namespace mlpipe::docs
