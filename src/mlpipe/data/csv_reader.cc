// CSV reading: the input (memory-mapped for files) is cut into chunks at
// line breaks, each chunk is parsed on its own thread by csv_parser.h, and
// the per-chunk columns are merged in order (categorical dictionaries
// re-mapped, so codes follow first appearance in the file as a serial read
// would give).
//
// A chunk boundary is a guess: the byte after the first '\n' past an even
// split point, which is wrong when that '\n' is inside a quoted field. So the
// chunks are checked in order: chunk k is kept only if it started exactly
// where chunk k-1's last record ended; otherwise it is parsed again from
// there (serially). The first error in file order is reported, with line
// numbers made absolute by adding the line counts of the chunks before it.
//
// Types: each chunk infers its own; a column whose chunks disagree, or that
// one chunk found broken (a word after numbers), is categorical, as in a
// serial read; then every chunk is parsed once more with those columns
// categorical (the chunk boundaries are known by then), so at most two passes.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <fmt/format.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/csv_parser.h"
#include "mlpipe/data/parallel.h"

namespace mlpipe::data {
namespace {

using csv_internal::ChunkResult;
using csv_internal::ColumnPlan;
using csv_internal::NaSet;

// Inputs below this many bytes per chunk are not split.
constexpr size_t kMinChunkBytes = 4 << 20;

// A read-only memory map of a whole file, unmapped on destruction.
class MappedFile {
 public:
  ~MappedFile() {
    if (data_ != nullptr && data_ != MAP_FAILED) munmap(data_, size_);
  }
  Status Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open " + path, errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoError("stat " + path, err);
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      data_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data_ == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        return ErrnoError("mmap " + path, err);
      }
      madvise(data_, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
    return OkStatus();
  }
  std::string_view text() const {
    return size_ == 0 ? std::string_view() : std::string_view(static_cast<const char*>(data_), size_);
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};


class ChunkedReader {
 public:
  ChunkedReader(std::string_view text, const CsvOptions& options, std::string_view source, size_t min_chunk,
                size_t threads)
      : begin_(text.data()), end_(text.data() + text.size()), opts_(options), source_(source),
        na_(options.na_values), min_chunk_(std::max<size_t>(min_chunk, 1)), threads_(threads) {}

  StatusOr<Table> Run() {
    // Skip a UTF-8 byte-order mark.
    if (end_ - begin_ >= 3 && std::memcmp(begin_, "\xEF\xBB\xBF", 3) == 0) begin_ += 3;
    RETURN_IF_ERROR(csv_internal::ParseHeader(begin_, end_, opts_, source_, &plan_.names, &data_start_, &data_line_));
    const size_t ncols = plan_.names.size();
    plan_.types.assign(ncols, ColumnType::kNumeric);
    plan_.decided.assign(ncols, false);
    plan_.forced.assign(ncols, false);
    for (size_t j = 0; j < ncols; ++j) {
      auto it = opts_.column_types.find(plan_.names[j]);
      if (it != opts_.column_types.end()) {
        plan_.types[j] = it->second;
        plan_.decided[j] = plan_.forced[j] = true;
      }
    }
    SplitChunks();
    RETURN_IF_ERROR(ParseAll(/*verified=*/false));
    if (MergeTypes()) RETURN_IF_ERROR(ParseAll(/*verified=*/true));
    return Assemble();
  }

 private:
  Status Error(size_t line, const csv_internal::CsvError& e) const {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", source_, line + e.line, e.column, e.message));
  }

  // Guessed chunk starts: after the first '\n' at or past each even split point.
  void SplitChunks() {
    const size_t bytes = static_cast<size_t>(end_ - data_start_);
    size_t n = threads_ <= 1 ? 1 : std::min(threads_ * 4, bytes / min_chunk_);
    n = std::max<size_t>(n, 1);
    starts_.assign(1, data_start_);
    for (size_t k = 1; k < n; ++k) {
      const char* b = data_start_ + bytes / n * k;
      if (b <= starts_.back()) continue;
      const void* nl = std::memchr(b, '\n', static_cast<size_t>(end_ - b));
      if (nl == nullptr) break;
      const char* s = static_cast<const char*>(nl) + 1;
      if (s >= end_) break;
      if (s > starts_.back()) starts_.push_back(s);
    }
  }

  const char* StopOf(size_t k) const { return k + 1 < starts_.size() ? starts_[k + 1] : end_; }

  // Parses every chunk (in parallel), then checks them in file order,
  // re-parsing any chunk that did not start where the one before ended.
  // With `verified`, the starts are known to be record starts.
  Status ParseAll(bool verified) {
    const size_t n = starts_.size();
    results_.assign(n, ChunkResult{});
    internal::ParallelFor(n, threads_, [&](size_t k) {
      results_[k] = csv_internal::ParseChunk(starts_[k], StopOf(k), end_, opts_, na_, plan_);
    });
    const char* pos = data_start_;
    size_t line = data_line_;
    for (size_t k = 0; k < n; ++k) {
      if (!verified && starts_[k] != pos) {
        // The guess fell inside a quoted field (or the chunk before ran long).
        results_[k] = csv_internal::ParseChunk(pos, std::max(pos, StopOf(k)), end_, opts_, na_, plan_);
        starts_[k] = pos;
      }
      if (results_[k].error) return Error(line, *results_[k].error);
      pos = results_[k].end;
      line += results_[k].lines;
    }
    return OkStatus();
  }

  // Decides each column's type from the chunks; true if some column must be
  // read again as categorical (the plan is updated for that second pass).
  bool MergeTypes() {
    bool redo = false;
    for (size_t j = 0; j < plan_.names.size(); ++j) {
      bool broken = false, decided = false;
      ColumnType type = ColumnType::kNumeric;
      for (const ChunkResult& r : results_) {
        const csv_internal::ColState& st = r.states[j];
        broken |= st.broken;
        if (!st.decided) continue;
        if (decided && r.columns[j].type() != type) broken = true;
        type = r.columns[j].type();
        decided = true;
      }
      if (broken) {
        redo = true;
        type = ColumnType::kCategorical;
      }
      plan_.types[j] = type;
      plan_.decided[j] = decided || broken;
    }
    return redo;
  }

  StatusOr<Table> Assemble() {
    const size_t ncols = plan_.names.size();
    size_t rows = 0;
    for (const ChunkResult& r : results_) rows += r.rows;
    std::vector<Column> out(ncols);
    // One chunk: columns are moved, not copied, so no threads.
    internal::ParallelFor(ncols, results_.size() == 1 ? 1 : threads_, [&](size_t j) {
      if (results_.size() == 1 && results_[0].states[j].decided) {
        out[j] = std::move(results_[0].columns[j]);
        return;
      }
      Column col(plan_.names[j], plan_.types[j]);
      col.Reserve(rows);
      for (ChunkResult& r : results_) {
        if (r.states[j].decided) {
          Status s = col.AppendColumn(r.columns[j]);  // same type: MergeTypes made sure
          (void)s;
        } else {
          for (size_t k = 0; k < r.states[j].pending_missing; ++k) col.AppendMissing();
        }
        r.columns[j] = Column();  // free chunk memory as we go
      }
      out[j] = std::move(col);
    });
    Table table;
    for (Column& c : out) RETURN_IF_ERROR(table.AddColumn(std::move(c)));
    return table;
  }

  const char* begin_;
  const char* end_;
  const CsvOptions& opts_;
  std::string_view source_;
  NaSet na_;
  size_t min_chunk_;
  size_t threads_;
  ColumnPlan plan_;
  const char* data_start_ = nullptr;
  size_t data_line_ = 2;
  std::vector<const char*> starts_;
  std::vector<ChunkResult> results_;
};

}  // namespace

namespace csv_internal {

StatusOr<Table> ReadCsvChunked(std::string_view text, const CsvOptions& options, std::string_view source_name,
                               size_t min_chunk_bytes) {
  return ChunkedReader(text, options, source_name, min_chunk_bytes, internal::ResolveThreads(options.threads)).Run();
}

}  // namespace csv_internal

StatusOr<Table> ReadCsvString(std::string_view text, const CsvOptions& options, std::string_view source_name) {
  return csv_internal::ReadCsvChunked(text, options, source_name, kMinChunkBytes);
}

StatusOr<Table> ReadCsv(const std::string& path, const CsvOptions& options) {
  MappedFile file;
  RETURN_IF_ERROR(file.Open(path));
  return ReadCsvString(file.text(), options, path);
}

}  // namespace mlpipe::data
