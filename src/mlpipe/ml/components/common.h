// Helpers shared by the built-in components (internal to ml/).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/csv.h"
#include "mlpipe/data/table.h"
#include "mlpipe/data/transform.h"
#include "mlpipe/ml/builtins.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::ml::components {

// Typed parameter access: the value of `name` in inv.params, or `def` when
// absent or null. InvalidArgument "param 'x' must be an int, got \"abc\"".
StatusOr<std::string> ParamString(const BuiltinInvocation& inv, const std::string& name, const std::string& def);
StatusOr<int64_t> ParamInt(const BuiltinInvocation& inv, const std::string& name, int64_t def);
StatusOr<double> ParamFloat(const BuiltinInvocation& inv, const std::string& name, double def);
StatusOr<bool> ParamBool(const BuiltinInvocation& inv, const std::string& name, bool def);
// A list of strings; a single comma-separated string is accepted too.
StatusOr<std::vector<std::string>> ParamList(const BuiltinInvocation& inv, const std::string& name);

// The bound path of a required input/output; InvalidArgument naming it.
StatusOr<std::string> Input(const BuiltinInvocation& inv, const std::string& name);
std::optional<std::string> OptionalInput(const BuiltinInvocation& inv, const std::string& name);
StatusOr<std::string> Output(const BuiltinInvocation& inv, const std::string& name);

// Reads a CSV input, prefixing errors with the input's name.
StatusOr<data::Table> ReadTable(const std::string& input_name, const std::string& path,
                                const data::CsvOptions& options = {});

// Reads a CSV input with the column types the transform was fitted on.
StatusOr<data::Table> ReadForTransform(const std::string& input_name, const std::string& path,
                                       const data::Transform& transform);
// Reads a CSV input with the types of a model package's input columns.
StatusOr<data::Table> ReadForModel(const std::string& input_name, const std::string& path,
                                   const LoadedModel& model);
// Loads the model package bound to input `input_name` (a command's workers
// write their stderr to the step's stderr), errors prefixed with its name.
StatusOr<std::shared_ptr<const LoadedModel>> LoadModelInput(const std::string& input_name,
                                                            const std::string& path);

// Checks that `column` exists in `table`; InvalidArgument "target column
// 'Class' not found in train; columns are: a, b, c (did you mean 'class'?)".
Status RequireColumn(const data::Table& table, const std::string& column, const std::string& what,
                     const std::string& table_name);

// Writes text / JSON to a new file (PATH.tmp then rename).
Status WriteText(const std::string& path, const std::string& text);
Status WriteJsonFile(const std::string& path, const nlohmann::json& j);

// Appends metrics to inv.metrics_path (no-op when empty).
class MetricsWriter {
 public:
  explicit MetricsWriter(const BuiltinInvocation& inv) : path_(inv.metrics_path) {}
  Status Record(const std::string& name, double value, std::optional<int64_t> step = std::nullopt);

 private:
  std::string path_;
};

// The log stream of `inv`, or a stream that discards.
std::ostream& Log(const BuiltinInvocation& inv);

// The components, one per file.
Status RunStats(const BuiltinInvocation& inv);
Status RunSchema(const BuiltinInvocation& inv);
Status RunValidate(const BuiltinInvocation& inv);
Status RunSplit(const BuiltinInvocation& inv);
Status RunTransform(const BuiltinInvocation& inv);
Status RunTrain(const BuiltinInvocation& inv);
Status RunEvaluate(const BuiltinInvocation& inv);
Status RunPredict(const BuiltinInvocation& inv);
Status RunNotebook(const BuiltinInvocation& inv);

extern const char* const kStatsYaml;
extern const char* const kSchemaYaml;
extern const char* const kValidateYaml;
extern const char* const kSplitYaml;
extern const char* const kTransformYaml;
extern const char* const kTrainYaml;
extern const char* const kEvaluateYaml;
extern const char* const kPredictYaml;
extern const char* const kNotebookYaml;

}  // namespace mlpipe::ml::components
