// mlpipe_serving_make_package: writes a model package from a CSV with the ml
// API, for the Prometheus scrape test and the serving benchmark (no pipeline
// run needed).
//   mlpipe_serving_make_package CSV TARGET OUT_DIR [ROUNDS] [DEPTH]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mlpipe/data/csv.h"
#include "mlpipe/serving/package_writer.h"

using namespace mlpipe;  // NOLINT: a tiny tool

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s CSV TARGET OUT_DIR [ROUNDS] [DEPTH]\n", argv[0]);
    return 2;
  }
  auto table = data::ReadCsv(argv[1]);
  if (!table.ok()) {
    std::fprintf(stderr, "%s\n", table.status().ToString().c_str());
    return 1;
  }
  data::TransformOptions opt;
  opt.target = argv[2];
  ml::XgboostParams p;
  p.rounds = argc > 4 ? std::atoi(argv[4]) : 50;
  if (argc > 5) p.max_depth = std::atoi(argv[5]);
  p.nthread = 2;
  auto written = serving::WriteXgboostPackage(*table, opt, p, argv[3], "mlpipe_serving_make_package");
  if (!written.ok()) {
    std::fprintf(stderr, "%s\n", written.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", argv[3]);
  return 0;
}
