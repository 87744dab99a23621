#include "mlpipe/base/json_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace mlpipe {
namespace {

TEST(JsonTextTest, AppendJsonStringWritesWhatAJsonLibraryReadsBack) {
  for (std::string s : {std::string("plain"), std::string(""), std::string("quote \" and \\ back"),
                        std::string("tab\tnew\nline"), std::string("caf\xc3\xa9"),
                        std::string("bad \xff utf8"), std::string("nul\0in", 6)}) {
    std::string out = "[";
    AppendJsonString(s, &out);
    out += "]";
    auto j = nlohmann::json::parse(out);
    if (s == "bad \xff utf8") {
      EXPECT_EQ(j[0], "bad \xef\xbf\xbd utf8");  // invalid UTF-8 becomes U+FFFD
    } else {
      EXPECT_EQ(j[0], s);
    }
  }
  std::string nums;
  for (double v : {0.1, -2.5e300, 3.0, std::nan(""), 1.0 / 0.0}) {
    nums += nums.empty() ? "[" : ",";
    AppendJsonNumber(v, &nums);
  }
  nums += "]";
  auto j = nlohmann::json::parse(nums);
  EXPECT_EQ(j[0].get<double>(), 0.1);
  EXPECT_EQ(j[1].get<double>(), -2.5e300);
  EXPECT_EQ(j[2].get<double>(), 3.0);
  EXPECT_TRUE(j[3].is_null());
  EXPECT_TRUE(j[4].is_null());
}

}  // namespace
}  // namespace mlpipe
