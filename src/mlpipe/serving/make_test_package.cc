// mlpipe_serving_make_package: writes a model package from a CSV with the ml
// API, for the Prometheus scrape test and the serving benchmark (no pipeline
// run needed).
//   mlpipe_serving_make_package CSV TARGET OUT_DIR [ROUNDS] [DEPTH]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/schema.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/ml/model_package.h"

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
  auto tr = data::Transform::Fit(*table, opt);
  if (!tr.ok()) {
    std::fprintf(stderr, "%s\n", tr.status().ToString().c_str());
    return 1;
  }
  auto x = tr->Apply(*table);
  auto y = tr->EncodeLabels(*table);
  if (!x.ok() || !y.ok()) return 1;
  ml::Task task = tr->task() == data::Task::kRegression ? ml::Task::kRegression
                  : tr->class_labels().size() == 2     ? ml::Task::kBinary
                                                       : ml::Task::kMulticlass;
  ml::XgboostParams p;
  p.rounds = argc > 4 ? std::atoi(argv[4]) : 50;
  if (argc > 5) p.max_depth = std::atoi(argv[5]);
  p.nthread = 2;
  auto m = ml::XgboostModel::Train(*x, *y, task, p);
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", m.status().ToString().c_str());
    return 1;
  }
  data::Schema schema = data::InferSchema(*table);
  data::TableStats stats = data::ComputeStats(*table);
  ml::ModelPackageContents c;
  c.task = task;
  c.transform = &*tr;
  c.xgboost = m->get();
  c.schema = &schema;
  c.stats = &stats;
  c.created_by = "mlpipe_serving_make_package";
  Status s = ml::SaveModelPackage(argv[3], c);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("%s\n", argv[3]);
  return 0;
}
