#include "tests/docs/snippet_pipeline.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <sstream>

#include "mlpipe/spec/shell_words.h"

namespace mlpipe::docs {
namespace {

// STEP -> OUTPUT -> type ("" = untyped) of what a block reads but does not define.
using Refs = std::map<std::string, std::map<std::string, std::string>>;

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t Indent(const std::string& line) {
  size_t i = line.find_first_not_of(' ');
  return i == std::string::npos ? std::string::npos : i;
}

bool IsName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

// "STEP.OUTPUT" -> refs; a value with '/' -> sources.
void ReadBinding(const std::string& value, Refs* refs, std::vector<std::string>* sources,
                 const std::string& type = "") {
  if (value.find('/') != std::string::npos) {
    if (value[0] != '/') sources->push_back(value);
    return;
  }
  size_t dot = value.find('.');
  if (dot == std::string::npos || !IsName(value.substr(0, dot)) || !IsName(value.substr(dot + 1))) return;
  std::string& t = (*refs)[value.substr(0, dot)][value.substr(dot + 1)];
  if (t.empty()) t = type;
}

void ReadSteps(const YAML::Node& steps, Refs* refs, std::set<std::string>* defined,
               std::vector<std::string>* sources) {
  if (!steps.IsMap()) return;
  for (const auto& kv : steps) {
    defined->insert(kv.first.as<std::string>());
    const YAML::Node& step = kv.second;
    if (!step.IsMap()) continue;
    if (step["inputs"] && step["inputs"].IsMap()) {
      for (const auto& in : step["inputs"]) {
        if (in.second.IsScalar()) ReadBinding(in.second.as<std::string>(), refs, sources);
      }
    }
    // The scripts a command runs and a notebook step's notebook, brought
    // from examples/ like data (validate checks that they exist).
    if (const YAML::Node run = step["run"]) {
      std::vector<std::string> words;
      if (run.IsScalar()) {
        auto split = spec::SplitShellWords(run.as<std::string>());  // as the engine reads a run: string
        if (split.ok()) {
          for (const spec::ShellWord& w : *split) words.push_back(w.text);
        }
      } else if (run.IsSequence()) {
        for (const auto& w : run) {
          if (w.IsScalar()) words.push_back(w.as<std::string>());
        }
      }
      for (const std::string& w : words) {
        if (w.find('/') != std::string::npos && w[0] != '/' && w[0] != '$' && w[0] != '-' &&
            w.find("${") == std::string::npos) {
          sources->push_back(w);
        }
      }
    }
    if (const YAML::Node nb = step["notebook"]; nb && nb.IsScalar()) sources->push_back(nb.as<std::string>());
    if (const YAML::Node after = step["after"]) {
      if (after.IsScalar()) (*refs)[after.as<std::string>()];
      if (after.IsSequence()) {
        for (const auto& a : after) (*refs)[a.as<std::string>()];
      }
    }
  }
}

void ReadRegister(const YAML::Node& reg, Refs* refs, std::vector<std::string>* sources) {
  auto one = [&](const YAML::Node& entry) {
    if (!entry.IsMap()) return;
    if (entry["from"] && entry["from"].IsScalar())
      ReadBinding(entry["from"].as<std::string>(), refs, sources, "model");
    if (entry["when"] && entry["when"].IsScalar()) {
      ReadBinding(entry["when"].as<std::string>(), refs, sources, "blessing");
    }
  };
  if (reg.IsSequence()) {
    for (const auto& e : reg) one(e);
  } else {
    one(reg);
  }
}

// Every X of ${params.X} in `text`.
std::set<std::string> ParamRefs(const std::string& text) {
  std::set<std::string> out;
  const std::string open = "${params.";
  for (size_t at = text.find(open); at != std::string::npos; at = text.find(open, at + 1)) {
    size_t end = text.find('}', at);
    if (end != std::string::npos) out.insert(text.substr(at + open.size(), end - at - open.size()));
  }
  return out;
}

struct Writer {
  PipelineFile* file;
  void Add(const std::string& line, int md_line = 0) {
    file->text += line + "\n";
    file->md_lines.push_back(md_line);
  }
  // Stub steps for what `refs` names and `defined` lacks, at `indent`.
  void Stubs(const Refs& refs, const std::set<std::string>& defined, const std::string& indent) {
    for (const auto& [step, outputs] : refs) {
      if (defined.count(step)) continue;
      Add(indent + step + ":");
      std::string run = indent + "  run: [\"true\"";
      if (!outputs.empty()) run = indent + "  run: [touch";
      for (const auto& [out, type] : outputs) run += ", \"${outputs." + out + "}\"";
      Add(run + "]");
      if (outputs.empty()) continue;
      Add(indent + "  outputs:");
      for (const auto& [out, type] : outputs)
        Add(indent + "    " + out + ":" + (type.empty() ? "" : " " + type));
    }
  }
  void ParamStubs(const std::set<std::string>& names) {
    if (names.empty()) return;
    Add("params:");
    for (const auto& p : names) Add("  " + p + ": \"\"");
  }
};

bool Needed(const Refs& refs, const std::set<std::string>& defined) {
  for (const auto& [step, outputs] : refs) {
    if (!defined.count(step)) return true;
  }
  return false;
}

std::string Flow(const YAML::Node& node) {
  YAML::Emitter e;
  e << YAML::Flow << node;
  return e.c_str();
}

void FindBuiltinSteps(const YAML::Node& node, std::vector<YAML::Node>* out) {
  if (node.IsMap()) {
    if (node["uses"] && node["uses"].IsScalar() && node["uses"].as<std::string>().rfind("mlpipe/", 0) == 0 &&
        node["params"] && node["params"].IsMap()) {
      out->push_back(node);
    }
    for (const auto& kv : node) FindBuiltinSteps(kv.second, out);
  } else if (node.IsSequence()) {
    for (const auto& item : node) FindBuiltinSteps(item, out);
  }
}

// The block as YAML; false with the syntax error in *error.
bool LoadBlock(const Snippet& s, YAML::Node* root, std::string* error) {
  try {
    *root = YAML::Load(s.text);
    return true;
  } catch (const YAML::Exception& e) {
    *error = "YAML syntax error at block line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return false;
  }
}

}  // namespace

int PipelineFile::MarkdownLine(int line, const Snippet& s) const {
  if (line >= 1 && static_cast<size_t>(line) <= md_lines.size() && md_lines[line - 1] > 0) {
    return md_lines[line - 1];
  }
  return s.fence_line + 1;
}

PipelineFile MakePipelineFile(const Snippet& s) {
  PipelineFile file;
  Writer w{&file};
  YAML::Node root;
  if (!LoadBlock(s, &root, &file.error)) return file;
  const std::vector<std::string> lines = SplitLines(s.text);
  const int first = s.fence_line + 1;
  Refs refs;
  std::set<std::string> defined;
  const bool steps_fragment = s.kind == "fragment-of" && s.args == std::vector<std::string>{"steps"};
  const bool pipeline_fragment = s.kind == "fragment-of" && !steps_fragment;
  if (s.kind.empty()) {
    if (!root.IsMap() || !root["pipeline"] || !root["steps"]) {
      file.error =
          "not a whole pipeline (it has no pipeline: and steps:); mark it <!-- snippet: fragment-of steps "
          "-->, "
          "<!-- snippet: fragment-of pipeline -->, <!-- snippet: file PATH --> or <!-- snippet: skip REASON "
          "-->";
      return file;
    }
    ReadSteps(root["steps"], &refs, &defined, &file.sources);
    for (size_t i = 0; i < lines.size(); ++i) w.Add(lines[i], first + static_cast<int>(i));
    return file;
  }
  if (!root.IsMap()) {
    file.error = "a fragment must be a YAML map";
    return file;
  }
  if (steps_fragment) {
    ReadSteps(root, &refs, &defined, &file.sources);
    w.Add("pipeline: snippet");
    w.ParamStubs(ParamRefs(s.text));
    w.Add("steps:");
    size_t strip = std::string::npos;
    for (const auto& l : lines) strip = std::min(strip, Indent(l));
    for (size_t i = 0; i < lines.size(); ++i) {
      w.Add(Indent(lines[i]) == std::string::npos ? "" : "  " + lines[i].substr(strip),
            first + static_cast<int>(i));
    }
    w.Stubs(refs, defined, "  ");
    return file;
  }
  if (pipeline_fragment) {
    if (root["steps"]) ReadSteps(root["steps"], &refs, &defined, &file.sources);
    if (root["register"]) ReadRegister(root["register"], &refs, &file.sources);
    if (!root["pipeline"]) w.Add("pipeline: snippet");
    const bool stubs = Needed(refs, defined);
    bool stubbed = false;
    for (size_t i = 0; i < lines.size(); ++i) {
      w.Add(lines[i], first + static_cast<int>(i));
      if (lines[i] == "steps:" && stubs) {  // stubs go first among the block's steps
        stubbed = true;
        size_t indent = 2;
        for (size_t j = i + 1; j < lines.size(); ++j) {
          if (Indent(lines[j]) != std::string::npos) {
            indent = Indent(lines[j]);
            break;
          }
        }
        w.Stubs(refs, defined, std::string(indent, ' '));
      }
    }
    if (root["steps"] && stubs && !stubbed) {
      file.error =
          "cannot add the steps it refers to to a flow-style steps: map; write steps: in block style";
    }
    if (!root["params"]) w.ParamStubs(ParamRefs(s.text));
    if (!root["steps"]) {
      w.Add("steps:");
      if (stubs) {
        w.Stubs(refs, defined, "  ");
      } else {
        w.Add("  snippet:");
        w.Add("    run: [\"true\"]");
      }
    }
    return file;
  }
  file.error = "a ```yaml block marked '" + s.kind + "' is not a pipeline";
  return file;
}

PipelineFile MakeBuiltinParamsFile(const Snippet& s) {
  PipelineFile file;
  Writer w{&file};
  YAML::Node root;
  std::string error;
  if (!LoadBlock(s, &root, &error)) return file;  // a skipped block need not be YAML at all
  std::vector<YAML::Node> steps;
  FindBuiltinSteps(root, &steps);
  if (steps.empty()) return file;
  w.Add("pipeline: snippet");
  w.Add("steps:");
  for (size_t i = 0; i < steps.size(); ++i) {
    w.Add("  s" + std::to_string(i) + ":", s.fence_line + 1 + steps[i]["uses"].Mark().line);
    w.Add("    uses: " + steps[i]["uses"].as<std::string>(), s.fence_line + 1 + steps[i]["uses"].Mark().line);
    w.Add("    params:");
    for (const auto& kv : steps[i]["params"]) {
      // A template is not resolved here: ${run.id} stands for "known at run time".
      std::string value = Flow(kv.second);
      if (value.find("${") != std::string::npos) value = "\"${run.id}\"";
      w.Add("      " + kv.first.as<std::string>() + ": " + value, s.fence_line + 1 + kv.first.Mark().line);
      file.report_lines.insert(static_cast<int>(file.md_lines.size()));
    }
  }
  return file;
}

}  // namespace mlpipe::docs
