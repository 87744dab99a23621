// Test helper: where the shared real datasets live.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "mlpipe/base/testing/temp_dir.h"

namespace mlpipe::data::testing {

// $MLPIPE_SHARED_DATA, else /work/shared/data, else MLPIPE_SOURCE_DIR/../shared/data.
// The shared datasets: $MLPIPE_SHARED_DATA, else the `shared/` folder beside
// the source tree (where CI puts it), else /work/shared/data.
inline std::string SharedDataDir() {
  if (const char* env = std::getenv("MLPIPE_SHARED_DATA"); env != nullptr && *env != '\0') return env;
#ifdef MLPIPE_SOURCE_DIR
  std::string rel = std::string(MLPIPE_SOURCE_DIR) + "/../shared/data";
  if (FILE* f = std::fopen((rel + "/README.md").c_str(), "r")) {
    std::fclose(f);
    return rel;
  }
#endif
  return "/work/shared/data";
}

inline std::string SharedData(const std::string& file) { return SharedDataDir() + "/" + file; }

using TempDir = mlpipe::testing::TempDir;

}  // namespace mlpipe::data::testing
