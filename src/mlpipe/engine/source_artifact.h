// The names of source artifacts. A source (a file or folder a step reads from
// the project) is versioned under PIPELINE.source.PATH, PATH as the spec
// writes it, normalised: "./data//loans.csv" and "data/loans.csv" are one
// source, "data/new/" is "data/new". `artifacts cat
// lending_club.source.data/loans.csv:v1` and `mlpipe checkout RUN` rely on it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mlpipe::engine {

inline constexpr std::string_view kSourceInfix = ".source.";

// PIPELINE.source.PATH.
std::string SourceArtifactName(std::string_view pipeline, std::string_view path);

struct SourceName {
  std::string pipeline;
  std::string path;  // as normalised by SourceArtifactName (relative to the pipeline's folder, or absolute)
};
// The parts of a source artifact name; nullopt for any other name (a step
// output PIPELINE.STEP.OUTPUT never holds ".source." since step names have
// no '.').
std::optional<SourceName> ParseSourceArtifactName(std::string_view name);

}  // namespace mlpipe::engine
