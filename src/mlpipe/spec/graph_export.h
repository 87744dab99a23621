// The step graph of a PipelineSpec: dependencies, a topological order, and
// drawings for Graphviz (dot) and Mermaid. Pure functions, thread-safe;
// O(steps + edges) apart from sorting.
#pragma once

#include <string>
#include <vector>

#include "mlpipe/spec/pipeline.h"

namespace mlpipe::spec {

// For each step (index into spec.steps), the indices of the steps it depends
// on through STEP.OUTPUT inputs or after:, without duplicates, ascending.
// Names of unknown steps are ignored (validation reports them).
std::vector<std::vector<int>> StepDependencies(const PipelineSpec& spec);

// Step indices such that every step comes after the steps it depends on;
// among steps that are ready together, spec order. Steps on or behind a cycle
// are left out, so the result is shorter than spec.steps exactly when the
// graph has a cycle.
std::vector<int> TopologicalOrder(const PipelineSpec& spec);

// Graphviz: steps as boxes (a built-in step's label has a second line,
// "(mlpipe/NAME)"), sources as notes, one edge per input labelled with the
// output name (sources: the input name), after: edges dashed. Names and
// labels are escaped once, so Graphviz shows them as written.
std::string ToDot(const PipelineSpec& spec);

// Mermaid flowchart with the same content: steps as rectangles, sources as
// cylinders, labelled edges, after: edges dotted.
std::string ToMermaid(const PipelineSpec& spec);

}  // namespace mlpipe::spec
