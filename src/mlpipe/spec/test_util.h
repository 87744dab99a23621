// Test helpers for spec tests: a temporary folder with files in it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "mlpipe/base/testing/temp_dir.h"

namespace mlpipe::spec::testing {

using TempDir = mlpipe::testing::TempDir;

}  // namespace mlpipe::spec::testing
