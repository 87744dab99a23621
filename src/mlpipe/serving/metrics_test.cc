#include "mlpipe/serving/metrics.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

namespace mlpipe::serving {
namespace {

TEST(ServingMetricsTest, HistogramBoundsPrintAsWrittenNotAsFloatNoise) {
  // What equal-width edges computed as min + i * width look like.
  const double noisy = 14.370500000000001;
  ASSERT_NE(fmt::format("{}", noisy), "14.3705");
  EXPECT_EQ(RoundBucketBound(noisy), 14.3705);
  EXPECT_EQ(RoundBucketBound(0.1 + 0.2), 0.3);
  EXPECT_EQ(RoundBucketBound(-2.5e-9), -2.5e-9);
  ServingMetrics m;
  m.RecordValue("churn", "champion", "1", 14.0, {0.1 + 0.2, noisy, 14.3705 + 1e-15, 1e6 / 3});
  const std::string text = m.Render();
  EXPECT_NE(text.find("mlpipe_prediction_value_bucket{model=\"churn\",variant=\"champion\",version=\"1\",le="
                      "\"0.3\"} 0\n"),
            std::string::npos)
      << text;
  // 14.3705 twice over (within rounding) is one bucket.
  EXPECT_NE(text.find(",le=\"14.3705\"} 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("14.3705", text.find("14.3705") + 1), std::string::npos) << text;
  EXPECT_NE(text.find(",le=\"333333.333333\"} 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("000000000"), std::string::npos) << text;
  m.RecordRequest("churn", "1", "champion", 200, 0.003);
  EXPECT_NE(m.Render().find("le=\"0.00025\""), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::serving
