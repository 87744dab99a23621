#include "mlpipe/serving/oip_codec.h"

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlpipe/serving/test_fixture.h"

namespace mlpipe::serving {
namespace {

class OipCodecTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::TestDir());
    auto m = ml::LoadModelPackage(testing::MakePackage(*dir_, "p", 10));
    ASSERT_TRUE(m.ok());
    model_ = new std::shared_ptr<const ServedModel>(ServedModel::Make("7", "p", *m));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete model_;
    delete dir_;
  }
  const ServedModel& model() { return **model_; }
  Status Error(const std::string& body) { return ParseInferRequest(body, model()).status(); }

  static std::string* dir_;
  static std::shared_ptr<const ServedModel>* model_;
};
std::string* OipCodecTest::dir_ = nullptr;
std::shared_ptr<const ServedModel>* OipCodecTest::model_ = nullptr;

TEST_F(OipCodecTest, InputsFollowTheFeatureColumns) {
  ASSERT_EQ(model().inputs().size(), 2u);
  EXPECT_EQ(model().inputs()[0].name, "x");
  EXPECT_EQ(model().inputs()[0].datatype, "FP64");
  EXPECT_EQ(model().inputs()[1].name, "color");
  EXPECT_EQ(model().inputs()[1].datatype, "BYTES");
  auto meta = model().MetadataJson("churn");
  EXPECT_EQ(meta["inputs"][1]["shape"], nlohmann::json::array({-1}));
  EXPECT_EQ(meta["outputs"][1]["shape"], nlohmann::json::array({-1, 2}));
}

TEST_F(OipCodecTest, ParsesColumnsAndPredictsLikeTheModel) {
  auto req = ParseInferRequest(R"({"id": "r1", "inputs": [
      {"name": "color", "datatype": "BYTES", "shape": [3, 1], "data": [["red"], ["blue"], null]},
      {"name": "x", "datatype": "FP32", "shape": [3], "data": [0.5, -1, 2]}]})",
                               model());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->id, "r1");
  EXPECT_EQ(req->rows, 3u);
  auto preds = PredictRows(model(), *req);
  ASSERT_TRUE(preds.ok());
  auto direct = model().model().PredictRow({{"x", 0.5}, {"color", std::string("red")}});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ((*preds)[0].label, direct->label);
  EXPECT_EQ((*preds)[0].probabilities, direct->probabilities);
  std::string body;
  WriteInferResponse("churn", model(), req->id, *preds, &body);
  auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j["model_version"], "7");
  EXPECT_EQ(j["id"], "r1");
  EXPECT_EQ(j["outputs"][0]["shape"], nlohmann::json::array({3}));
  EXPECT_EQ(j["outputs"][1]["shape"], nlohmann::json::array({3, 2}));
  EXPECT_EQ(j["outputs"][1]["data"][1].get<float>(), direct->probabilities[1]);
}

TEST_F(OipCodecTest, EachMalformedRequestIsInvalidArgumentWithAClearMessage) {
  auto msg = [&](const std::string& body) {
    Status s = Error(body);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << body;
    return s.message();
  };
  EXPECT_NE(msg("{not json").find("malformed JSON"), std::string::npos);
  EXPECT_NE(msg("[1]").find("object"), std::string::npos);
  EXPECT_NE(msg(R"({"inputs": []})").find("non-empty"), std::string::npos);
  const std::string color = R"({"name": "color", "datatype": "BYTES", "shape": [1], "data": ["red"]})";
  EXPECT_NE(msg(R"({"inputs": [)" + color + "]}").find("missing input 'x'"), std::string::npos);
  EXPECT_NE(msg(R"({"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": ["1"]}, )" + color + "]}")
                .find("datatype must be FP64"),
            std::string::npos);
  EXPECT_NE(msg(R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [2], "data": [1]}, )" + color + "]}")
                .find("shape mismatch"),
            std::string::npos);
  EXPECT_NE(msg(R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [2], "data": [1, 2]}, )" + color + "]}")
                .find("shape mismatch"),
            std::string::npos);
  EXPECT_NE(msg(R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": ["a"]}, )" + color + "]}")
                .find("does not match"),
            std::string::npos);
  EXPECT_NE(msg(R"({"inputs": [{"name": "xx", "datatype": "FP64", "shape": [1], "data": [1]}, )" + color + "]}")
                .find("did you mean 'x'"),
            std::string::npos);
  EXPECT_NE(msg(R"({"inputs": [{"name": "x", "datatype": "FP99", "shape": [1], "data": [1]}]})").find("unknown datatype"),
            std::string::npos);
}

TEST_F(OipCodecTest, ShapesAndIntegerDatatypesTakeIntegersOnly) {
  const std::string color = R"({"name": "color", "datatype": "BYTES", "shape": [1], "data": ["red"]})";
  Status s = Error(R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [1.0], "data": [1]}, )" + color + "]}");
  EXPECT_NE(s.message().find("non-negative integers"), std::string::npos) << s.ToString();
  s = Error(R"({"inputs": [{"name": "x", "datatype": "INT64", "shape": [1], "data": [1.5]}, )" + color + "]}");
  EXPECT_NE(s.message().find("element 1.5 does not match"), std::string::npos) << s.ToString();
  auto req = ParseInferRequest(
      R"({"id": 42, "inputs": [{"name": "x", "datatype": "UINT64", "shape": [2], "data": [18446744073709551615, 3]}, )"
      R"({"name": "color", "datatype": "BYTES", "shape": [2], "data": ["red", "blue"]}]})",
      model());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->id, "42");  // a non-string id is kept as its JSON text
  EXPECT_DOUBLE_EQ(std::get<double>(req->columns[0][0]), 18446744073709551615.0);
  EXPECT_DOUBLE_EQ(std::get<double>(req->columns[0][1]), 3.0);
}

TEST_F(OipCodecTest, TooManyRowsIsResourceExhausted) {
  Status s = Error(R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [1000000000], "data": []}]})");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
}

TEST_F(OipCodecTest, PredictRowFormAcceptsInstancesWithMissingFeatures) {
  auto req = ParsePredictRequest(R"({"instances": [{"x": 1.0, "color": "green"}, {"x": null}, {"label": "yes"}]})",
                                 model());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->rows, 3u);
  auto preds = PredictRows(model(), *req);
  ASSERT_TRUE(preds.ok());
  std::string body;
  WritePredictResponse(model(), *preds, &body);
  auto j = nlohmann::json::parse(body);
  ASSERT_EQ(j["predictions"].size(), 3u);
  EXPECT_TRUE(j["predictions"][0]["probabilities"].contains("yes"));
  EXPECT_FALSE(ParsePredictRequest(R"({"instances": [{"x": "high"}]})", model()).ok());
  EXPECT_FALSE(ParsePredictRequest(R"({"instances": [{"z": 1}]})", model()).ok());
  EXPECT_FALSE(ParsePredictRequest(R"({"rows": []})", model()).ok());
}

}  // namespace
}  // namespace mlpipe::serving
