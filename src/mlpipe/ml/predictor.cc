#include "mlpipe/ml/predictor.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/date.h"

namespace mlpipe::ml {

StatusOr<InputColumns> TableColumns(const data::Table& table, const std::vector<data::InputColumn>& inputs,
                                    size_t first, size_t count) {
  InputColumns out(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const data::Column* col = table.Find(inputs[i].name);
    if (col == nullptr) {
      std::string hint = ClosestMatch(inputs[i].name, table.ColumnNames());
      return InvalidArgumentError(
          fmt::format("input column '{}' is missing{}", inputs[i].name,
                      hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
    }
    std::vector<data::FieldValue>& values = out[i];
    values.resize(count);
    for (size_t r = 0; r < count; ++r) {
      const size_t row = first + r;
      if (col->IsMissing(row)) continue;  // monostate
      switch (col->type()) {
        case data::ColumnType::kNumeric:
          values[r] = col->number(row);
          break;
        case data::ColumnType::kCategorical:
          values[r] = std::string(col->str(row));
          break;
        case data::ColumnType::kDate:
          values[r] = data::FormatDate(col->day(row));
          break;
      }
    }
  }
  return out;
}

StatusOr<Predictions> Predictor::PredictTable(const data::Table& table,
                                              const std::vector<data::InputColumn>& inputs) const {
  Predictions p;
  p.rows = table.num_rows();
  const size_t k = num_outputs();
  p.num_classes = k > 1 ? k : 0;  // a classifier has at least two classes
  p.values.resize(p.rows * k);
  const size_t batch = std::max<size_t>(1, max_batch_rows());
  const size_t batches = (p.rows + batch - 1) / batch;
  auto run_batch = [&](size_t first, size_t n) -> Status {
    ASSIGN_OR_RETURN(InputColumns columns, TableColumns(table, inputs, first, n));
    ASSIGN_OR_RETURN(std::unique_ptr<PreparedRows> prepared, Prepare(columns, n));
    const PreparedRows* part = prepared.get();
    return Run(std::span<const PreparedRows* const>(&part, 1), p.values.data() + first * k);
  };
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;
  auto work = [&] {
    for (size_t b; (b = next.fetch_add(1)) < batches;) {
      const size_t first = b * batch;
      const size_t n = std::min(batch, p.rows - first);
      Status s = run_batch(first, n);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = s.WithContext(fmt::format("rows {}-{}", first + 1, first + n));
        next = batches;  // the other threads stop too
        return;
      }
    }
  };
  const size_t threads = std::min<size_t>(batches, static_cast<size_t>(std::max(1, max_concurrent_runs())));
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& t : helpers) t.join();
  RETURN_IF_ERROR(first_error);
  return p;
}

}  // namespace mlpipe::ml
