#include "mlpipe/spec/challengers.h"

#include <fmt/format.h>

#include <set>
#include <string>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/yaml_util.h"

namespace mlpipe::spec {
namespace {

const PipelineSpec* Named(const std::vector<const PipelineSpec*>& pipelines, const std::string& name) {
  for (const PipelineSpec* p : pipelines) {
    if (p->name == name) return p;
  }
  return nullptr;
}

// The deployment a challenger and the pipeline it challenges must share.
void CheckPair(const PipelineSpec& c, const PipelineSpec& other, std::vector<Diagnostic>& out) {
  if (!other.deploy) {
    out.push_back(Diagnostic{
        c.challenger_of_loc,
        fmt::format("pipeline '{}' challenges '{}', which has no deploy: block", c.name, other.name),
        fmt::format("a challenger competes for the deployment of the pipeline it challenges: give '{}' a "
                    "deploy: block",
                    other.name)});
    return;
  }
  if (!c.deploy) return;  // the loader reported it
  const DeploySpec& mine = *c.deploy;
  const DeploySpec& theirs = *other.deploy;
  if (mine.deployment != theirs.deployment) {
    out.push_back(Diagnostic{
        mine.loc,
        fmt::format(
            "challenger '{}' deploys to deployment '{}', but '{}' (which it challenges) deploys to '{}'",
            c.name, mine.deployment, other.name, theirs.deployment),
        fmt::format("add deployment: {} to the deploy: block: both pipelines' models compete for it",
                    theirs.deployment)});
    return;
  }
  if (mine.model != theirs.model) {
    out.push_back(Diagnostic{
        mine.loc,
        fmt::format("challenger '{}' deploys model '{}', but deployment '{}' serves model '{}' (of '{}')",
                    c.name, mine.model, mine.deployment, theirs.model, other.name),
        fmt::format("register the challenger's model as '{}' (register: and deploy: model: {}): the A/B's "
                    "arms are versions of one registered model, and a version may be any package (a "
                    "built-in model, or a scikit-learn predictor:)",
                    theirs.model, theirs.model)});
  }
}

}  // namespace

std::vector<Diagnostic> CheckChallengers(const std::vector<const PipelineSpec*>& pipelines, bool complete) {
  std::vector<Diagnostic> out;
  std::vector<std::string> names;
  for (const PipelineSpec* p : pipelines) names.push_back(p->name);
  std::set<std::string> in_cycle;
  for (const PipelineSpec* p : pipelines) {
    if (p->challenger_of.empty()) continue;
    const PipelineSpec* other = Named(pipelines, p->challenger_of);
    if (other == nullptr) {
      if (complete) {
        out.push_back(Diagnostic{
            p->challenger_of_loc,
            fmt::format("challenger_of names pipeline '{}', which is not one of the server's pipelines",
                        p->challenger_of),
            internal::DidYouMean(p->challenger_of, names,
                                 fmt::format("the server runs {}; add the file of '{}' to --pipelines",
                                             Join(names, ", "), p->challenger_of))});
      }
      continue;
    }
    CheckPair(*p, *other, out);
    // Follow the chain: back at p is a cycle (reported once, by its first
    // member to get here).
    std::vector<std::string> chain = {p->name};
    std::set<std::string> seen = {p->name};
    for (const PipelineSpec* at = other; at != nullptr; at = Named(pipelines, at->challenger_of)) {
      chain.push_back(at->name);
      if (at == p) {
        if (!in_cycle.count(p->name)) {
          in_cycle.insert(chain.begin(), chain.end());
          out.push_back(
              Diagnostic{p->challenger_of_loc,
                         fmt::format("challenger_of forms a cycle: {}", Join(chain, " challenges ")),
                         "one pipeline of the cycle holds the champion: remove challenger_of from it"});
        }
        break;
      }
      if (!seen.insert(at->name).second || at->challenger_of.empty()) break;
    }
  }
  return out;
}

}  // namespace mlpipe::spec
