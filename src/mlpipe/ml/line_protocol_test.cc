#include "mlpipe/ml/line_protocol.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace mlpipe::ml {
namespace {

const std::vector<std::string> kNoYes = {"no", "yes"};

TEST(LineProtocolTest, RequestIsOneColumnMajorJsonLine) {
  std::vector<std::string> names = {R"("x")", R"("color")"};
  std::vector<std::string> a(2), b(2);
  AppendRequestValue(0.5, &a[0]);
  AppendRequestValue(std::string("red \"dark\""), &a[1]);
  AppendRequestValue(data::FieldValue(), &b[0]);
  b[0] += ",";
  AppendRequestValue(std::nan(""), &b[0]);
  AppendRequestValue(std::string("blue"), &b[1]);
  b[1] += ",";
  AppendRequestValue(std::string("green"), &b[1]);
  std::vector<const std::vector<std::string>*> parts = {&a, &b};
  std::string line;
  AppendRequestLine(12, 3, names, parts, &line);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["id"], 12);
  EXPECT_EQ(j["rows"], 3);
  EXPECT_EQ(j["columns"]["x"], nlohmann::json::parse("[0.5, null, null]"));
  EXPECT_EQ(j["columns"]["color"], nlohmann::json({"red \"dark\"", "blue", "green"}));
  EXPECT_LT(line.find("\"x\""), line.find("\"color\""));  // the model's column order
}

TEST(LineProtocolTest, StrayLinesAreThoseThatAreNotJsonObjects) {
  EXPECT_TRUE(IsStrayLine("Loading model..."));
  EXPECT_TRUE(IsStrayLine(""));
  EXPECT_TRUE(IsStrayLine("[1, 2]"));
  EXPECT_FALSE(IsStrayLine("  {\"ready\": true}"));
}

TEST(LineProtocolTest, Handshake) {
  EXPECT_TRUE(ParseHandshake(R"({"ready": true, "model": "x"})").ok());
  Status no = ParseHandshake(R"({"ready": false, "error": "model.pkl is missing"})");
  EXPECT_EQ(no.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(no.message().find("model.pkl is missing"), std::string::npos) << no.ToString();
  EXPECT_FALSE(ParseHandshake(R"({"hello": 1})").ok());
  EXPECT_FALSE(ParseHandshake("{not json").ok());
}

AnswerShape BinaryAnswer(int64_t id, size_t rows) { return AnswerShape{id, rows, Task::kBinary, &kNoYes}; }

TEST(LineProtocolTest, ProbabilitiesAnswer) {
  float out[4] = {};
  ASSERT_TRUE(
      ParseAnswer(R"({"probabilities": [[0.25, 0.75], [1, 0]], "id": 3})", BinaryAnswer(3, 2), out).ok());
  EXPECT_EQ(out[0], 0.25f);
  EXPECT_EQ(out[1], 0.75f);
  EXPECT_EQ(out[2], 1.0f);
  EXPECT_EQ(out[3], 0.0f);
}

TEST(LineProtocolTest, BinaryProbabilitiesMayBeThePositiveClassAlone) {
  float out[4] = {};
  ASSERT_TRUE(ParseAnswer(R"({"id": 3, "probabilities": [0.75, 0]})", BinaryAnswer(3, 2), out).ok());
  EXPECT_EQ(out[0], 0.25f);
  EXPECT_EQ(out[1], 0.75f);
  EXPECT_EQ(out[2], 1.0f);
  EXPECT_EQ(out[3], 0.0f);
  Status outside = ParseAnswer(R"({"id": 3, "probabilities": [0.75, 1.5]})", BinaryAnswer(3, 2), out);
  EXPECT_EQ(outside.code(), StatusCode::kInternal);
  EXPECT_NE(outside.message().find("row 1 is 1.5"), std::string::npos) << outside.message();
  EXPECT_NE(outside.message().find("positive class 'yes'"), std::string::npos) << outside.message();
  Status mixed = ParseAnswer(R"({"id": 3, "probabilities": [0.75, [0.5, 0.5]]})", BinaryAnswer(3, 2), out);
  EXPECT_FALSE(mixed.ok());
}

TEST(LineProtocolTest, LabelsAnswerIsOneHot) {
  float out[6] = {};
  ASSERT_TRUE(ParseAnswer(R"({"id": 1, "predictions": ["yes", "no", "yes"]})", BinaryAnswer(1, 3), out).ok());
  EXPECT_EQ(std::vector<float>(out, out + 6), (std::vector<float>{0, 1, 1, 0, 0, 1}));
  // A number names the class of the same text.
  const std::vector<std::string> digits = {"0", "1"};
  ASSERT_TRUE(
      ParseAnswer(R"({"id": 1, "predictions": [1, 0, 1]})", AnswerShape{1, 3, Task::kBinary, &digits}, out)
          .ok());
  EXPECT_EQ(out[1], 1.0f);
  Status unknown = ParseAnswer(R"({"id": 1, "predictions": ["maybe"]})", BinaryAnswer(1, 1), out);
  EXPECT_EQ(unknown.code(), StatusCode::kInternal);
  EXPECT_NE(unknown.message().find("not one of the class_labels (no, yes)"), std::string::npos)
      << unknown.ToString();
}

TEST(LineProtocolTest, RegressionAnswer) {
  float out[2] = {};
  const AnswerShape shape{5, 2, Task::kRegression, nullptr};
  ASSERT_TRUE(ParseAnswer(R"({"id": 5, "predictions": [12.5, -3]})", shape, out).ok());
  EXPECT_EQ(out[0], 12.5f);
  EXPECT_EQ(out[1], -3.0f);
  EXPECT_EQ(ParseAnswer(R"({"id": 5, "predictions": [1, "x"]})", shape, out).code(), StatusCode::kInternal);
}

TEST(LineProtocolTest, WorkerErrorsAndBrokenAnswers) {
  float out[4] = {};
  Status e = ParseAnswer(R"({"id": 2, "error": "model exploded"})", BinaryAnswer(2, 1), out);
  EXPECT_EQ(e.code(), StatusCode::kInternal);
  EXPECT_NE(e.message().find("model exploded"), std::string::npos);
  Status bad_input =
      ParseAnswer(R"({"id": 2, "error": "x < 0", "invalid_input": true})", BinaryAnswer(2, 1), out);
  EXPECT_EQ(bad_input.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_input.message(), "x < 0");
  // The stream is broken: the worker is not trusted again.
  EXPECT_EQ(ParseAnswer("{broken", BinaryAnswer(2, 1), out).code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseAnswer(R"({"id": 1, "probabilities": [[0.5, 0.5]]})", BinaryAnswer(2, 1), out).code(),
            StatusCode::kDataLoss);
  // The answer is whole but wrong.
  Status rows = ParseAnswer(R"({"id": 2, "probabilities": [[0.5, 0.5]]})", BinaryAnswer(2, 2), out);
  EXPECT_EQ(rows.code(), StatusCode::kInternal);
  EXPECT_NE(rows.message().find("1 probability rows for 2 rows"), std::string::npos) << rows.ToString();
  Status classes = ParseAnswer(R"({"id": 2, "probabilities": [[0.2, 0.3, 0.5]]})", BinaryAnswer(2, 1), out);
  EXPECT_NE(classes.message().find("one per class: no, yes"), std::string::npos) << classes.ToString();
  EXPECT_NE(ParseAnswer(R"({"id": 2})", BinaryAnswer(2, 1), out).message().find("no \"probabilities\""),
            std::string::npos);
}

}  // namespace
}  // namespace mlpipe::ml
