// mlpipe_csv_bench FILE [--repeat N] [--threads N]
//
// Times, best of N (default 3): ReadCsv alone, and ReadCsv + Transform::Fit +
// Transform::Apply to a FeatureMatrix (every column a feature, categorical
// columns one-hot, no imputation: the work pandas' read_csv + get_dummies +
// to_numpy(float32) does). Prints one JSON object per line on stdout:
//   {"what": "read", "seconds": S, "mb_per_s": X, "cpu_seconds": C, "rows": R, "cols": N}
//   {"what": "read+transform", ...}
// seconds: wall time of the best run; cpu_seconds: CPU time (all threads) of
// that run, a steadier figure on a shared machine.
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/transform.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

int Fail(const std::string& msg) {
  std::fprintf(stderr, "mlpipe_csv_bench: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mlpipe::data;
  if (argc < 2) return Fail("usage: mlpipe_csv_bench FILE [--repeat N] [--threads N]");
  std::string path = argv[1];
  int repeat = 3;
  CsvOptions csv;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--repeat") == 0) {
      repeat = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--threads") == 0) {
      csv.threads = static_cast<size_t>(std::atoi(argv[i + 1]));
    } else {
      return Fail(std::string("unknown flag ") + argv[i]);
    }
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Fail("cannot stat " + path);
  const double mb = static_cast<double>(st.st_size) / 1e6;

  double best_read = 1e300, best_all = 1e300, cpu_read = 0, cpu_all = 0;
  size_t rows = 0, cols = 0, features = 0;
  for (int rep = 0; rep < repeat; ++rep) {
    std::clock_t c0 = std::clock();
    auto t0 = Clock::now();
    auto table = ReadCsv(path, csv);
    auto t1 = Clock::now();
    std::clock_t c1 = std::clock();
    if (!table.ok()) return Fail(table.status().ToString());
    TransformOptions topt;
    topt.numeric_impute = NumericImpute::kNone;
    auto tf = Transform::Fit(*table, topt);
    if (!tf.ok()) return Fail(tf.status().ToString());
    auto fm = tf->Apply(*table);
    auto t2 = Clock::now();
    std::clock_t c2 = std::clock();
    if (!fm.ok()) return Fail(fm.status().ToString());
    rows = fm->rows;
    cols = table->num_columns();
    features = fm->cols;
    if (Seconds(t0, t1) < best_read) {
      best_read = Seconds(t0, t1);
      cpu_read = static_cast<double>(c1 - c0) / CLOCKS_PER_SEC;
    }
    if (Seconds(t0, t2) < best_all) {
      best_all = Seconds(t0, t2);
      cpu_all = static_cast<double>(c2 - c0) / CLOCKS_PER_SEC;
    }
  }
  fmt::print("{{\"what\": \"read\", \"seconds\": {:.3f}, \"mb_per_s\": {:.1f}, \"cpu_seconds\": {:.3f}, "
             "\"rows\": {}, \"cols\": {}}}\n",
             best_read, mb / best_read, cpu_read, rows, cols);
  fmt::print("{{\"what\": \"read+transform\", \"seconds\": {:.3f}, \"mb_per_s\": {:.1f}, \"cpu_seconds\": {:.3f}, "
             "\"rows\": {}, \"features\": {}}}\n",
             best_all, mb / best_all, cpu_all, rows, features);
  return 0;
}
