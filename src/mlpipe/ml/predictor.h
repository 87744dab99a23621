// Predictor: what a loaded model package predicts with, whatever it is: the
// built-in XGBoost and linear models behind the package's fitted transform
// (builtin_predictor.h), or worker processes the package brings
// (command_predictor.h). The model server, `evaluate` and `predict` all go
// through this one interface.
//
// A prediction has two stages so that a server can join the rows of
// concurrent requests into one model call: Prepare converts one request's
// rows on the caller's thread (many callers in parallel), Run predicts the
// prepared rows of one or more requests in one call.
//
// Thread-safety: every method is const and safe to call concurrently; Run is
// called by at most max_concurrent_runs() threads at once by the server's
// batcher, but tolerates more (extra callers wait).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/table.h"
#include "mlpipe/data/transform.h"
#include "mlpipe/ml/task.h"

namespace mlpipe::ml {

// Rows given column by column: columns[i][r] is input i (in the order of
// LoadedModel::inputs()) of row r; every column has the same length.
// Missing values are monostate; dates are "YYYY-MM-DD" strings.
using InputColumns = std::vector<std::vector<data::FieldValue>>;

// Rows converted by one predictor's Prepare, for its Run. Opaque to callers.
class PreparedRows {
 public:
  virtual ~PreparedRows() = default;
  size_t rows() const { return rows_; }

 protected:
  explicit PreparedRows(size_t rows) : rows_(rows) {}

 private:
  size_t rows_;
};

class Predictor {
 public:
  virtual ~Predictor() = default;

  // Floats per row that Run writes: the class probabilities in the order of
  // the manifest's class_labels (classification), or the value (regression).
  virtual size_t num_outputs() const = 0;
  // The most rows one Run should be given (the server's batches stay below).
  virtual size_t max_batch_rows() const = 0;
  // How many Runs may usefully proceed at once (a pool of N workers: N).
  virtual int max_concurrent_runs() const = 0;

  // Converts `rows` rows of `columns` (rows >= 1). InvalidArgument naming
  // the row and column for a value that cannot be converted.
  virtual StatusOr<std::unique_ptr<PreparedRows>> Prepare(const InputColumns& columns, size_t rows) const = 0;
  // Predicts the rows of `parts`, in order, in one model call: num_outputs()
  // floats per row into `out`. Each part must come from this predictor's
  // Prepare. Errors: InvalidArgument (the model refused an input),
  // Unavailable (a worker died), DeadlineExceeded (a worker timed out),
  // Internal (the model failed).
  virtual Status Run(std::span<const PreparedRows* const> parts, float* out) const = 0;

  // Every row of `table` (columns matched by name against `inputs`; extra
  // columns ignored). The default converts the table in batches of
  // max_batch_rows() through Prepare and Run, max_concurrent_runs() batches
  // at a time. InvalidArgument if an input column is missing or a value
  // cannot be converted; Run's errors with the batch's rows in front.
  virtual StatusOr<Predictions> PredictTable(const data::Table& table,
                                             const std::vector<data::InputColumn>& inputs) const;
};

// Rows [first, first + count) of the columns of `table` named by `inputs`,
// as Prepare takes them (numbers, category strings, dates as text).
// InvalidArgument naming a missing column.
StatusOr<InputColumns> TableColumns(const data::Table& table, const std::vector<data::InputColumn>& inputs,
                                    size_t first, size_t count);

}  // namespace mlpipe::ml
