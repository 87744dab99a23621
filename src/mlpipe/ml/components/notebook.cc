// Built-in `notebook`: run a Jupyter notebook headless, papermill-style.
//
// The work is done by a Python program (notebook_runner.h) with nbclient,
// nbformat, nbconvert and ipykernel; this side picks a Python that has them,
// hands it the step's params, input and output paths, and turns its report
// into the step's Status.
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "mlpipe/base/strings.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/notebook_runner.h"
#include "mlpipe/ml/components/script_process.h"

namespace mlpipe::ml::components {

const char* const kNotebookYaml = R"(component: notebook
description: Run a Jupyter notebook headless (papermill-style). The step's params, inputs and outputs become Python variables in a cell injected after the cell tagged parameters; the executed notebook and its HTML rendering are reports.
builtin: notebook
step_defined: [params, inputs, outputs]
inputs: {}
outputs:
  notebook: report
  html: report
)";

namespace {

// The Pythons to try, in order: $MLPIPE_NOTEBOOK_PYTHON alone when set; else
// python3 from PATH (a virtualenv's, with the user's libraries), then
// Debian's, where python3-nbclient and python3-ipykernel install.
std::vector<std::string> NotebookPythons() {
  const char* chosen = std::getenv("MLPIPE_NOTEBOOK_PYTHON");
  if (chosen != nullptr && *chosen != '\0') return {chosen};
  return {"python3", "/usr/bin/python3"};
}

}  // namespace

Status RunNotebook(const BuiltinInvocation& inv) {
  const nlohmann::json& config = inv.config;
  if (!config.is_object() || !config.contains("notebook") || !config["notebook"].is_string()) {
    return InvalidArgumentError(
        "built-in 'notebook' needs the notebook's path in its invocation's config (a pipeline step gives it "
        "with notebook: PATH.ipynb)");
  }
  ASSIGN_OR_RETURN(std::string executed, Output(inv, "notebook"));
  ASSIGN_OR_RETURN(std::string html, Output(inv, "html"));
  nlohmann::json outputs = nlohmann::json::object();  // the step's own: variables of the notebook
  for (const auto& [name, path] : inv.outputs) {
    if (name != "notebook" && name != "html") outputs[name] = path;
  }
  const std::string notebook = config["notebook"].get<std::string>();
  nlohmann::json request = {{"notebook", notebook},
                            {"path", config.value("path", notebook)},
                            {"params", inv.params.is_object() ? inv.params : nlohmann::json::object()},
                            {"inputs", inv.inputs},
                            {"outputs", outputs},
                            {"executed", executed},
                            {"html", html},
                            {"cell_timeout", config.value("cell_timeout", nlohmann::json())},
                            {"step_timeout", config.value("step_timeout", nlohmann::json())},
                            {"result_fd", 3}};
  std::cout.flush();  // the runner writes to the same stdout
  std::vector<std::string> unusable;
  for (const std::string& python : NotebookPythons()) {
    auto run = RunScript(python, kNotebookRunnerPy, request.dump());
    if (!run.ok()) {
      unusable.push_back(run.status().message());
      continue;
    }
    const nlohmann::json report = nlohmann::json::parse(run->report, nullptr, /*allow_exceptions=*/false);
    auto field = [&](const char* key) {
      return report.is_object() && report.contains(key) && report[key].is_string()
                 ? report[key].get<std::string>()
                 : std::string();
    };
    if (run->exit_code == 3) {  // this Python lacks a module
      std::string note = field("note").empty() ? python + ": lacks nbclient, nbformat, nbconvert or ipykernel"
                                               : field("note");
      if (std::find(unusable.begin(), unusable.end(), note) == unusable.end()) unusable.push_back(note);
      continue;
    }
    if (run->term_signal == SIGTERM || run->term_signal == SIGINT || run->term_signal == SIGKILL) {
      return CancelledError(
          fmt::format("the notebook runner was stopped ({}: the step's timeout, or an interrupt)",
                      strsignal(run->term_signal)));
    }
    if (run->term_signal != 0) {
      return InternalError(
          fmt::format("the notebook runner ({}) was killed by signal {}", python, run->term_signal));
    }
    const std::string error = field("error");
    switch (run->exit_code) {
      case 0:
        return OkStatus();
      case 1:
        return FailedPreconditionError(error.empty() ? "the notebook failed (see its stderr)" : error);
      default:
        return InvalidArgumentError(
            error.empty()
                ? fmt::format("the notebook runner ({}) exited with status {}", python, run->exit_code)
                : error);
    }
  }
  return FailedPreconditionError(fmt::format(
      "no Python here can run notebooks ({}); install python3-nbclient, python3-ipykernel and "
      "python3-nbconvert "
      "(Debian), or set MLPIPE_NOTEBOOK_PYTHON to a Python that has nbclient, ipykernel and nbconvert",
      Join(unusable, "; ")));
}

}  // namespace mlpipe::ml::components
