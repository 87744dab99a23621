#include "mlpipe/spec/notebook_step.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/notebook_file.h"
#include "mlpipe/spec/units.h"

namespace mlpipe::spec::internal {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kNotebookKeys = {"notebook", "cell_timeout"};

// Python 3's keywords: names that cannot be assigned.
const std::vector<std::string> kPythonKeywords = {
    "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
    "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
    "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
    "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};

// A name the step injects, with where the spec gives it.
struct InjectedName {
  std::string name;
  const char* kind;  // "param", "input", "output"
  SourceLocation loc;
};

// "did you mean 'notebooks/analysis.ipynb'?", or the notebooks of the folder
// the path points into, for a notebook path that names no file.
std::string MissingNotebookHint(const std::string& written, const std::string& full) {
  const std::string fallback = "notebook: paths are relative to the pipeline file's folder";
  const fs::path written_dir = fs::path(written).parent_path();
  std::error_code ec;
  std::vector<std::string> candidates;
  for (fs::directory_iterator it(fs::path(full).parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    if (IsNotebookPath(it->path().filename().string())) {
      candidates.push_back((written_dir / it->path().filename()).generic_string());
    }
  }
  std::sort(candidates.begin(), candidates.end());
  std::string guess = ClosestMatch(written, candidates);
  if (!guess.empty()) return fmt::format("did you mean '{}'?", guess);
  if (candidates.empty()) return fallback;
  if (candidates.size() > 5) candidates.resize(5);
  return fmt::format("{}; notebooks there: {}", fallback, Join(candidates, ", "));
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether `text` holds `word` as a whole word.
bool HasWord(std::string_view text, std::string_view word) {
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    bool starts = at == 0 || !IsWordChar(text[at - 1]);
    bool ends = at + word.size() == text.size() || !IsWordChar(text[at + word.size()]);
    if (starts && ends) return true;
  }
  return false;
}

// The right-hand side of a top-level assignment to `name` on `line`
// (`name = ...`, `name: type = ...`), or nullopt if the line is not one.
std::optional<std::string_view> AssignedValue(std::string_view line, std::string_view name) {
  if (line.substr(0, name.size()) != name || (line.size() > name.size() && IsWordChar(line[name.size()]))) {
    return std::nullopt;
  }
  std::string_view rest = Trim(line.substr(name.size()));
  if (!rest.empty() && rest[0] == ':') {  // annotated
    const size_t eq = rest.find('=');
    rest = eq == std::string_view::npos ? std::string_view() : rest.substr(eq);
  }
  if (rest.empty() || rest[0] != '=' || (rest.size() > 1 && rest[1] == '=')) return std::nullopt;
  return rest.substr(1);
}

// An injected name that the notebook sets before it uses it, the way a
// parameters cell sets defaults (`n = 10`, not `data = load(data)`): the
// first code line mentioning it assigns it a value that does not mention it.
// (cell index, name), or nullopt.
std::optional<std::pair<size_t, std::string>> DefaultSetBeforeUse(const NotebookFile& nb,
                                                                  const std::vector<InjectedName>& names) {
  std::vector<bool> seen(names.size(), false);
  for (size_t i = 0; i < nb.cells.size(); ++i) {
    if (nb.cells[i].type != "code") continue;
    for (const std::string& line : Split(nb.cells[i].source, '\n')) {
      for (size_t k = 0; k < names.size(); ++k) {
        if (seen[k] || !HasWord(line, names[k].name)) continue;
        seen[k] = true;
        auto value = AssignedValue(line, names[k].name);
        if (value && !HasWord(*value, names[k].name)) return std::make_pair(i, names[k].name);
      }
    }
  }
  return std::nullopt;
}

// Each injected name must be a Python variable name, and name one thing.
void CheckInjectedNames(const std::vector<InjectedName>& names, const std::string& where,
                        Diagnostics& diags) {
  for (size_t i = 0; i < names.size(); ++i) {
    const InjectedName& n = names[i];
    if (!IsPythonIdentifier(n.name)) {
      std::string fixed = n.name;
      std::replace(fixed.begin(), fixed.end(), '-', '_');
      if (!fixed.empty() && std::isdigit(static_cast<unsigned char>(fixed[0]))) fixed = "_" + fixed;
      bool keyword =
          std::find(kPythonKeywords.begin(), kPythonKeywords.end(), n.name) != kPythonKeywords.end();
      diags.Error(n.loc,
                  fmt::format("{} '{}' of {} is not a valid Python variable name{}", n.kind, n.name, where,
                              keyword ? " (a keyword)" : ""),
                  keyword ? fmt::format("the notebook sees it as a variable: rename it, e.g. {}_", n.name)
                          : fmt::format("the notebook sees it as a variable: rename it, e.g. {}", fixed));
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (names[j].name != n.name) continue;
      diags.Error(n.loc,
                  fmt::format("{} '{}' of {} has the name of its {} '{}' (line {})", n.kind, n.name, where,
                              names[j].kind, n.name, names[j].loc.line),
                  "params, inputs and outputs all become variables of the notebook: give each its own name");
      break;
    }
  }
}

}  // namespace

bool IsPythonIdentifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return std::find(kPythonKeywords.begin(), kPythonKeywords.end(), name) == kPythonKeywords.end();
}

void RejectNotebookKeys(const std::vector<MapEntry>& fields, LoadState& st, const std::string& where) {
  for (const std::string& key : kNotebookKeys) {
    if (const MapEntry* e = FindEntry(fields, key)) {
      st.diags.Error(e->key_loc, fmt::format("{}: of {} is only for steps that run a notebook", key, where),
                     "add uses: mlpipe/notebook to run a Jupyter notebook");
    }
  }
}

nlohmann::json BindNotebook(const MapEntry& uses, const std::vector<MapEntry>& fields,
                            const ComponentSpec& comp, const std::vector<ParamSpec>& params, LoadState& st,
                            const std::string& where, StepSpec* step) {
  nlohmann::json config = nlohmann::json::object();
  if (const MapEntry* e = FindEntry(fields, "cell_timeout")) {
    if (auto text = GetText(*e, st.diags, "cell_timeout")) {
      auto ns = ParseDuration(*text);
      if (!ns.ok() || *ns == 0) {
        st.diags.Error(e->loc, fmt::format("cell_timeout of {}: bad duration '{}'", where, *text),
                       "write a duration like 30s, 5m or 1h: the longest one cell may run");
      } else {
        config["cell_timeout"] = static_cast<double>(*ns) / 1e9;
      }
    }
  }

  if (step->timeout_ns > 0) config["step_timeout"] = static_cast<double>(step->timeout_ns) / 1e9;

  std::vector<InjectedName> names;
  for (const ParamSpec& p : params) names.push_back({p.name, "param", p.loc});
  for (const InputBinding& in : step->inputs) names.push_back({in.name, "input", in.loc});
  for (const OutputSpec& out : step->outputs) {
    bool builtin = std::any_of(comp.outputs.begin(), comp.outputs.end(),
                               [&](const OutputSpec& o) { return o.name == out.name; });
    if (!builtin) names.push_back({out.name, "output", out.loc});
  }
  CheckInjectedNames(names, where, st.diags);

  const MapEntry* entry = FindEntry(fields, "notebook");
  if (entry == nullptr) {
    st.diags.Error(uses.loc, fmt::format("{} uses mlpipe/notebook but names no notebook", where),
                   "add notebook: PATH.ipynb (relative to the pipeline file)");
    return nullptr;
  }
  auto written = GetText(*entry, st.diags, "notebook");
  if (!written) return nullptr;
  const std::string full =
      NormalizePath(fs::path(*written).is_absolute() ? *written : st.dir + "/" + *written);
  config["notebook"] = full;
  config["path"] = NormalizePath(*written);
  const std::string code = RelativeToDirOrAbsolute(full, st.dir);
  std::error_code ec;
  if (!fs::is_regular_file(full, ec)) {
    if (!st.options.check_files) return config;
    st.diags.Error(entry->loc,
                   fmt::format("notebook '{}' of {} does not exist (resolved to {})", *written, where, full),
                   MissingNotebookHint(*written, full));
    return nullptr;
  }
  std::ifstream in(full, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    st.diags.Error(entry->loc, fmt::format("cannot read notebook '{}' of {}", *written, where));
    return nullptr;
  }
  auto nb = ParseNotebook(text);
  if (!nb.ok()) {
    st.diags.Error(entry->loc, fmt::format("notebook '{}' of {}: {}", *written, where, nb.status().message()),
                   "give a Jupyter notebook (.ipynb) saved by Jupyter, VS Code or nbformat");
    return nullptr;
  }
  const std::string language = AsciiLower(nb->language);
  if (!language.empty() && language != "python") {
    st.diags.Error(
        entry->loc,
        fmt::format("notebook '{}' of {} is written in {} (kernel '{}'); mlpipe/notebook runs Python "
                    "notebooks",
                    *written, where, nb->language, nb->kernel_name),
        "run other kernels with a command step, e.g. run: papermill IN.ipynb ${outputs.report}");
    return nullptr;
  }
  if (nb->parameters_cell < 0) {
    if (auto assigned = DefaultSetBeforeUse(*nb, names)) {
      st.diags.Error(
          entry->loc,
          fmt::format("notebook '{}' of {} has no cell tagged 'parameters', and its cell {} sets '{}', "
                      "which the step injects: the injected value would be overwritten",
                      *written, where, assigned->first + 1, assigned->second),
          "tag the cell that sets the defaults 'parameters' (Jupyter: the cell's Tags, or "
          "View > Cell Toolbar > Tags), so that the injected cell comes after it");
    }
  }
  if (std::find(step->code_files.begin(), step->code_files.end(), code) == step->code_files.end()) {
    step->code_files.push_back(code);
  }
  return config;
}

}  // namespace mlpipe::spec::internal
