#include "mlpipe/serving/oip_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "mlpipe/serving/oip_binary.h"
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
  WriteInferResponse("churn", model(), *req, *preds, &body);
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
  EXPECT_NE(
      msg(R"({"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": ["1"]}, )" + color + "]}")
          .find("datatype must be FP64"),
      std::string::npos);
  EXPECT_NE(
      msg(R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [2], "data": [1]}, )" + color + "]}")
          .find("shape mismatch"),
      std::string::npos);
  EXPECT_NE(
      msg(R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [2], "data": [1, 2]}, )" + color + "]}")
          .find("shape mismatch"),
      std::string::npos);
  EXPECT_NE(
      msg(R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": ["a"]}, )" + color + "]}")
          .find("does not match"),
      std::string::npos);
  EXPECT_NE(
      msg(R"({"inputs": [{"name": "xx", "datatype": "FP64", "shape": [1], "data": [1]}, )" + color + "]}")
          .find("did you mean 'x'"),
      std::string::npos);
  EXPECT_NE(msg(R"({"inputs": [{"name": "x", "datatype": "FP99", "shape": [1], "data": [1]}]})")
                .find("unknown datatype"),
            std::string::npos);
}

TEST_F(OipCodecTest, ShapesAndIntegerDatatypesTakeIntegersOnly) {
  const std::string color = R"({"name": "color", "datatype": "BYTES", "shape": [1], "data": ["red"]})";
  Status s =
      Error(R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [1.0], "data": [1]}, )" + color + "]}");
  EXPECT_NE(s.message().find("non-negative integers"), std::string::npos) << s.ToString();
  s = Error(R"({"inputs": [{"name": "x", "datatype": "INT64", "shape": [1], "data": [1.5]}, )" + color +
            "]}");
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
  auto req = ParsePredictRequest(
      R"({"instances": [{"x": 1.0, "color": "green"}, {"x": null}, {"label": "yes"}]})", model());
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

// Three rows of x and color as one infer body; `extra` adds members.
std::string ThreeRows(const std::string& extra = "") {
  return R"({"inputs": [{"name": "x", "datatype": "FP64", "shape": [3], "data": [0.5, -1, 2]},
            {"name": "color", "datatype": "BYTES", "shape": [3], "data": ["red", "blue", "green"]}])" +
         extra + "}";
}

TEST_F(OipCodecTest, OnlyTheOutputsAskedAreAnsweredInTheOrderAsked) {
  auto all = ParseInferRequest(ThreeRows(), model());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->outputs.size(), 2u);  // none named: the model's, in its order
  EXPECT_EQ(all->outputs[0].name, OutputName::kLabel);
  EXPECT_EQ(all->outputs[1].name, OutputName::kProbabilities);
  auto req =
      ParseInferRequest(ThreeRows(R"(, "outputs": [{"name": "probabilities"}, {"name": "label"}])"), model());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  auto preds = PredictRows(model(), *req);
  ASSERT_TRUE(preds.ok());
  std::string body;
  EXPECT_EQ(WriteInferResponse("churn", model(), *req, *preds, &body), 0u);  // all JSON
  auto j = nlohmann::json::parse(body);
  ASSERT_EQ(j["outputs"].size(), 2u);
  EXPECT_EQ(j["outputs"][0]["name"], "probabilities");
  EXPECT_EQ(j["outputs"][1]["name"], "label");
  EXPECT_EQ(j["outputs"][1]["data"][2], (*preds)[2].label);
  req = ParseInferRequest(ThreeRows(R"(, "outputs": [{"name": "probabilities"}])"), model());
  ASSERT_TRUE(req.ok());
  body.clear();
  WriteInferResponse("churn", model(), *req, *preds, &body);
  j = nlohmann::json::parse(body);
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "probabilities");
  EXPECT_EQ(j["outputs"][0]["data"].size(), 6u);
}

TEST_F(OipCodecTest, AnUnknownOutputNamesTheValidOnes) {
  Status s = Error(ThreeRows(R"(, "outputs": [{"name": "label"}, {"name": "score"}])"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("unknown output 'score': this model's outputs are label, probabilities"),
            std::string::npos)
      << s.message();
  s = Error(ThreeRows(R"(, "outputs": [{"name": "label"}, {"name": "label"}])"));
  EXPECT_NE(s.message().find("asked twice"), std::string::npos) << s.message();
  s = Error(ThreeRows(R"(, "outputs": [{"name": "label", "parameters": {"classification": 2}}])"));
  EXPECT_NE(s.message().find("'classification' parameter is not supported"), std::string::npos)
      << s.message();
  s = Error(ThreeRows(R"(, "outputs": {"name": "label"})"));
  EXPECT_NE(s.message().find("'outputs' must be an array"), std::string::npos) << s.message();
}

// The body of the binary tensor extension: `json` then `tail`; *json_size is the header's size.
std::string BinaryBody(const nlohmann::json& json, const std::string& tail, size_t* json_size) {
  std::string body = json.dump();
  *json_size = body.size();
  return body + tail;
}

TEST_F(OipCodecTest, BinaryInputsDecodeLikeTheirJsonForm) {
  std::string tail;
  for (float x : {0.5f, -1.0f, 2.0f}) AppendBinaryFp32(x, &tail);
  const size_t x_size = tail.size();
  for (const char* c : {"red", "blue", "green"}) AppendBinaryBytes(c, &tail);
  nlohmann::json header = {
      {"inputs",
       {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {3}}, {"parameters", {{"binary_data_size", x_size}}}},
        {{"name", "color"},
         {"datatype", "BYTES"},
         {"shape", {3, 1}},
         {"parameters", {{"binary_data_size", tail.size() - x_size}}}}}}};
  size_t json_size = 0;
  const std::string body = BinaryBody(header, tail, &json_size);
  auto binary = ParseInferRequest(body, model(), json_size);
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  auto json = ParseInferRequest(ThreeRows(), model());
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(binary->rows, 3u);
  EXPECT_EQ(binary->columns, json->columns);

  // The tail must be exactly what the inputs' sizes say.
  auto parse_error = [&](const nlohmann::json& h, const std::string& t) {
    size_t n = 0;
    const std::string b = BinaryBody(h, t, &n);
    return ParseInferRequest(b, model(), n).status().message();
  };
  EXPECT_NE(
      parse_error(header, tail + "x").find("bytes after its JSON header; the inputs' binary_data_size take"),
      std::string::npos)
      << "one byte too many";
  EXPECT_NE(parse_error(header, tail.substr(0, tail.size() - 1)).find("more than the"), std::string::npos);
  nlohmann::json wrong = header;
  wrong["inputs"][0]["parameters"]["binary_data_size"] = x_size - 4;
  wrong["inputs"][1]["parameters"]["binary_data_size"] = tail.size() - x_size + 4;
  EXPECT_NE(parse_error(wrong, tail).find("3 FP32 elements take 12"), std::string::npos);
  // A binary_data_size without the header field that says where the JSON ends.
  Status s = ParseInferRequest(header.dump(), model()).status();
  EXPECT_NE(s.message().find("no Inference-Header-Content-Length"), std::string::npos) << s.message();
}

TEST_F(OipCodecTest, BinaryElementsOfEachDatatypeAndTheHeaderLength) {
  std::vector<data::FieldValue> out;
  const uint16_t halves[] = {0x3c00, 0xc000, 0x3555};  // 1, -2, ~0.333
  std::string bytes(reinterpret_cast<const char*>(halves), sizeof halves);
  ASSERT_TRUE(DecodeBinaryTensor("x", "FP16", bytes, 3, &out).ok());
  EXPECT_EQ(std::get<double>(out[0]), 1.0);
  EXPECT_EQ(std::get<double>(out[1]), -2.0);
  EXPECT_NEAR(std::get<double>(out[2]), 1.0 / 3, 1e-3);
  out.clear();
  const int64_t ints[] = {-7, 9};
  ASSERT_TRUE(
      DecodeBinaryTensor("x", "INT64", std::string(reinterpret_cast<const char*>(ints), 16), 2, &out).ok());
  EXPECT_EQ(std::get<double>(out[0]), -7.0);
  out.clear();
  ASSERT_TRUE(DecodeBinaryTensor("x", "BOOL", std::string("\x01\x00", 2), 2, &out).ok());
  EXPECT_EQ(std::get<double>(out[0]), 1.0);
  EXPECT_EQ(std::get<double>(out[1]), 0.0);
  out.clear();
  std::string nan;
  AppendBinaryFp64(NAN, &nan);
  ASSERT_TRUE(DecodeBinaryTensor("x", "FP64", nan, 1, &out).ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(out[0]));  // missing, as null
  EXPECT_FALSE(DecodeBinaryTensor("x", "BYTES",
                                  std::string("\x09\x00\x00\x00"
                                              "abc",
                                              7),
                                  1, &out)
                   .ok());
  EXPECT_EQ(*ParseInferenceHeaderLength("12", 20), 12u);
  EXPECT_FALSE(ParseInferenceHeaderLength("21", 20).ok());
  EXPECT_FALSE(ParseInferenceHeaderLength("12x", 20).ok());
  EXPECT_FALSE(ParseInferenceHeaderLength("", 20).ok());
}

TEST_F(OipCodecTest, BinaryOutputsFollowTheJsonHeaderWhenAsked) {
  auto req = ParseInferRequest(ThreeRows(R"(, "parameters": {"binary_data_output": true},
      "outputs": [{"name": "label"}, {"name": "probabilities", "parameters": {"binary_data": false}}])"),
                               model());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  auto preds = PredictRows(model(), *req);
  ASSERT_TRUE(preds.ok());
  std::string body = "prefix";
  const size_t json_size = WriteInferResponse("churn", model(), *req, *preds, &body);
  ASSERT_GT(json_size, 0u);
  auto j = nlohmann::json::parse(body.substr(6, json_size));
  EXPECT_FALSE(j["outputs"][0].contains("data"));
  EXPECT_TRUE(j["outputs"][1].contains("data"));  // binary_data false wins over binary_data_output
  std::string expected;
  for (const auto& p : *preds) AppendBinaryBytes(p.label, &expected);
  EXPECT_EQ(j["outputs"][0]["parameters"]["binary_data_size"], expected.size());
  EXPECT_EQ(body.substr(6 + json_size), expected);
}

}  // namespace
}  // namespace mlpipe::serving
