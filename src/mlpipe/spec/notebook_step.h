// Internal: the steps that run a Jupyter notebook (`uses: mlpipe/notebook`).
//
// Such a step names its notebook under `notebook:` and may set
// `cell_timeout:`; its params, inputs and its own outputs become Python
// variables of the notebook, in a cell injected after the cell tagged
// `parameters` (docs/components.md#notebook).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/spec/load_state.h"

namespace mlpipe::spec::internal {

// The built-in that runs notebooks, as in `uses: mlpipe/notebook`.
inline constexpr std::string_view kNotebookBuiltin = "notebook";

// Reports each notebook-only key of `fields` (notebook:, cell_timeout:) as an
// error: the step does not use mlpipe/notebook.
void RejectNotebookKeys(const std::vector<MapEntry>& fields, LoadState& st, const std::string& where);

// Binds what is particular to a notebook step, once its ports and params are
// bound (`params`: the step's own params with their positions). Checks:
//  - `notebook:` is given, exists (with a did-you-mean among the notebooks of
//    its folder), and is a Python notebook of nbformat 4 or later;
//  - every injected name (params, inputs, the step's own outputs) is a Python
//    identifier and names one thing only;
//  - a notebook without a `parameters` cell does not set an injected name
//    before using it, as defaults are set (the injected cell goes first
//    then, and its value would be overwritten).
// Adds the notebook to the step's code files and returns the built-in's
// config: {"notebook": absolute path, "path": the path as written,
// "cell_timeout": seconds (when set), "step_timeout": seconds (the step's
// timeout:, when set)}.
nlohmann::json BindNotebook(const MapEntry& uses, const std::vector<MapEntry>& fields,
                            const ComponentSpec& comp, const std::vector<ParamSpec>& params, LoadState& st,
                            const std::string& where, StepSpec* step);

// Whether `name` can be a Python variable: an identifier that is not a
// keyword.
bool IsPythonIdentifier(std::string_view name);

}  // namespace mlpipe::spec::internal
