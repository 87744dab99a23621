#include "mlpipe/spec/graph_export.h"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <unordered_map>

#include <fmt/format.h>

namespace mlpipe::spec {
namespace {

std::unordered_map<std::string, int> IndexSteps(const PipelineSpec& spec) {
  std::unordered_map<std::string, int> index;
  index.reserve(spec.steps.size());
  for (size_t i = 0; i < spec.steps.size(); ++i) index.emplace(spec.steps[i].name, static_cast<int>(i));
  return index;
}

// A DOT quoted string of the plain text `s`, escaped once: '"' and '\\' get
// a backslash, and a newline becomes DOT's line break "\n".
std::string DotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string MermaidText(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"') {
      out += "#quot;";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Sources and registered models (the inputs from outside the pipeline) in
// order of first use, each with an id. A model reference holds no '/', a
// source path does: the two never share a text.
std::map<std::string, int> CollectSources(const PipelineSpec& spec, std::vector<std::string>* ordered) {
  std::map<std::string, int> ids;
  for (const auto& step : spec.steps) {
    for (const auto& in : step.inputs) {
      if (in.kind == InputBinding::Kind::kStepOutput) continue;
      if (ids.emplace(in.value, static_cast<int>(ordered->size())).second) ordered->push_back(in.value);
    }
  }
  return ids;
}

}  // namespace

std::vector<std::vector<int>> StepDependencies(const PipelineSpec& spec) {
  auto index = IndexSteps(spec);
  std::vector<std::vector<int>> deps(spec.steps.size());
  for (size_t i = 0; i < spec.steps.size(); ++i) {
    const StepSpec& step = spec.steps[i];
    auto add = [&](const std::string& name) {
      auto it = index.find(name);
      if (it != index.end()) deps[i].push_back(it->second);
    };
    for (const auto& in : step.inputs) {
      if (in.kind == InputBinding::Kind::kStepOutput) add(std::string(in.step()));
    }
    for (const auto& name : step.after) add(name);
    std::sort(deps[i].begin(), deps[i].end());
    deps[i].erase(std::unique(deps[i].begin(), deps[i].end()), deps[i].end());
  }
  return deps;
}

std::vector<int> TopologicalOrder(const PipelineSpec& spec) {
  auto deps = StepDependencies(spec);
  size_t n = deps.size();
  std::vector<int> missing(n, 0);
  std::vector<std::vector<int>> dependents(n);
  for (size_t i = 0; i < n; ++i) {
    missing[i] = static_cast<int>(deps[i].size());
    for (int d : deps[i]) dependents[d].push_back(static_cast<int>(i));
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < n; ++i) {
    if (missing[i] == 0) ready.push(static_cast<int>(i));
  }
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int j : dependents[i]) {
      if (--missing[j] == 0) ready.push(j);
    }
  }
  return order;
}

std::string ToDot(const PipelineSpec& spec) {
  std::string out = fmt::format("digraph {} {{\n  rankdir=LR;\n  node [shape=box];\n", DotQuote(spec.name));
  std::vector<std::string> sources;
  auto source_ids = CollectSources(spec, &sources);
  for (const auto& step : spec.steps) {
    std::string label = step.name;
    if (!step.builtin().empty())
      label += "\n(mlpipe/" + step.builtin() + ")";  // plain text: DotQuote escapes
    out += fmt::format("  {} [label={}];\n", DotQuote("step:" + step.name), DotQuote(label));
  }
  for (const auto& s : sources) {
    const bool model = s.find('/') == std::string::npos;
    out += fmt::format("  {} [label={}, shape={}];\n", DotQuote((model ? "model:" : "source:") + s),
                       DotQuote(model ? "model " + s : s), model ? "cylinder" : "note");
  }
  for (const auto& step : spec.steps) {
    std::string to = DotQuote("step:" + step.name);
    for (const auto& in : step.inputs) {
      if (in.kind == InputBinding::Kind::kSource) {
        out += fmt::format("  {} -> {} [label={}];\n", DotQuote("source:" + in.value), to, DotQuote(in.name));
      } else if (in.kind == InputBinding::Kind::kModel) {
        out += fmt::format("  {} -> {} [label={}];\n", DotQuote("model:" + in.value), to, DotQuote(in.name));
      } else {
        out += fmt::format("  {} -> {} [label={}];\n", DotQuote(fmt::format("step:{}", in.step())), to,
                           DotQuote(std::string(in.output())));
      }
    }
    for (const auto& a : step.after) {
      out += fmt::format("  {} -> {} [style=dashed];\n", DotQuote("step:" + a), to);
    }
  }
  out += "}\n";
  return out;
}

std::string ToMermaid(const PipelineSpec& spec) {
  auto index = IndexSteps(spec);
  std::string out = "flowchart LR\n";
  std::vector<std::string> sources;
  auto source_ids = CollectSources(spec, &sources);
  for (size_t i = 0; i < spec.steps.size(); ++i) {
    out += fmt::format("  s{}[\"{}\"]\n", i, MermaidText(spec.steps[i].name));
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    if (sources[i].find('/') == std::string::npos) {  // a registered model
      out += fmt::format("  src{}[[\"model {}\"]]\n", i, MermaidText(sources[i]));
    } else {
      out += fmt::format("  src{}[(\"{}\")]\n", i, MermaidText(sources[i]));
    }
  }
  for (size_t i = 0; i < spec.steps.size(); ++i) {
    const StepSpec& step = spec.steps[i];
    for (const auto& in : step.inputs) {
      if (in.kind != InputBinding::Kind::kStepOutput) {
        out += fmt::format("  src{} -->|{}| s{}\n", source_ids[in.value], MermaidText(in.name), i);
      } else if (auto it = index.find(std::string(in.step())); it != index.end()) {
        out += fmt::format("  s{} -->|{}| s{}\n", it->second, MermaidText(std::string(in.output())), i);
      }
    }
    for (const auto& a : step.after) {
      if (auto it = index.find(a); it != index.end()) out += fmt::format("  s{} -.-> s{}\n", it->second, i);
    }
  }
  return out;
}

}  // namespace mlpipe::spec
