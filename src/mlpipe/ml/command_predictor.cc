#include "mlpipe/ml/command_predictor.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "mlpipe/base/json_text.h"
#include "mlpipe/ml/line_protocol.h"

extern char** environ;

namespace mlpipe::ml {
namespace {

// Each column's values as comma-separated JSON text.
class EncodedRows : public PreparedRows {
 public:
  EncodedRows(size_t rows, size_t columns) : PreparedRows(rows), columns(columns) {}
  std::vector<std::string> columns;
};

// The caller's environment with `extra` set over it.
std::vector<std::string> WorkerEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    const size_t eq = kv.find('=');
    if (eq != std::string_view::npos)
      env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<CommandPredictor>> CommandPredictor::Start(const std::string& package_dir,
                                                                    const ModelManifest& manifest,
                                                                    const CommandPredictorOptions& options) {
  std::error_code ec;
  const std::string dir = std::filesystem::absolute(package_dir, ec).lexically_normal().string();
  const CommandSpec& spec = manifest.command;
  // Python: answers are not left in a buffer, and no __pycache__ is written
  // into the package (a stored package is read-only; any package is content).
  std::map<std::string, std::string> extra = {
      {"PYTHONUNBUFFERED", "1"}, {"PYTHONDONTWRITEBYTECODE", "1"}, {"MLPIPE_PACKAGE_DIR", dir}};
  for (const auto& [k, v] : spec.env) extra[k] = v;
  WorkerPoolOptions po;
  po.command.argv = spec.argv;
  po.command.cwd = dir;
  po.command.env = WorkerEnvironment(extra);
  po.workers = spec.workers;
  po.startup_timeout_ns = static_cast<int64_t>(spec.startup_timeout_s * 1e9);
  po.request_timeout_ns = static_cast<int64_t>(spec.timeout_s * 1e9);
  po.launcher = options.launcher;
  po.log = options.log;
  std::unique_ptr<CommandPredictor> p(new CommandPredictor());
  ASSIGN_OR_RETURN(p->pool_, WorkerPool::Start(std::move(po)));
  for (const FeatureInfo& f : manifest.features) p->quoted_names_.push_back(JsonQuote(f.name));
  p->task_ = manifest.task;
  p->class_labels_ = manifest.class_labels;
  p->num_outputs_ = manifest.task == Task::kRegression ? 1 : manifest.class_labels.size();
  p->max_batch_rows_ = static_cast<size_t>(spec.max_batch_rows);
  return p;
}

StatusOr<std::unique_ptr<PreparedRows>> CommandPredictor::Prepare(const InputColumns& columns,
                                                                  size_t rows) const {
  if (columns.size() != quoted_names_.size()) {
    return InvalidArgumentError(
        fmt::format("{} input columns given, the model takes {}", columns.size(), quoted_names_.size()));
  }
  auto encoded = std::make_unique<EncodedRows>(rows, columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    std::string& text = encoded->columns[c];
    text.reserve(rows * 8);
    for (size_t r = 0; r < rows; ++r) {
      if (r > 0) text.push_back(',');
      AppendRequestValue(columns[c][r], &text);
    }
  }
  return std::unique_ptr<PreparedRows>(std::move(encoded));
}

Status CommandPredictor::Run(std::span<const PreparedRows* const> parts, float* out) const {
  std::vector<const std::vector<std::string>*> columns;
  columns.reserve(parts.size());
  size_t rows = 0;
  for (const PreparedRows* p : parts) {
    columns.push_back(&static_cast<const EncodedRows&>(*p).columns);
    rows += p->rows();
  }
  AnswerShape shape;
  shape.id = next_id_.fetch_add(1, std::memory_order_relaxed);
  shape.rows = rows;
  shape.task = task_;
  shape.class_labels = &class_labels_;
  thread_local std::string line;
  line.clear();
  AppendRequestLine(shape.id, rows, quoted_names_, columns, &line);
  return pool_->Call(line, [&](std::string_view answer) { return ParseAnswer(answer, shape, out); });
}

}  // namespace mlpipe::ml
