// Fuzz target: the Open Inference Protocol and v1 predict request decoders,
// then the prediction of what they accept. A client controls every byte of
// a request body; any body must end in rows or a client error (never a
// crash, a hang or a prediction on rows the model cannot take).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz/fuzz_package.h"
#include "mlpipe/ml/model_package.h"
#include "mlpipe/serving/oip_codec.h"
#include "mlpipe/serving/served_model.h"

namespace {

std::shared_ptr<const mlpipe::serving::ServedModel>* g_model = nullptr;

// The fuzz package, loaded once.
std::shared_ptr<const mlpipe::serving::ServedModel> MakeModel() {
  const std::string path = mlpipe::fuzzing::MakeFuzzPackage("oip_fuzz");
  auto loaded = mlpipe::ml::LoadModelPackage(path);
  if (!loaded.ok()) std::abort();
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  return mlpipe::serving::ServedModel::Make("1", "fuzz", *loaded);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  g_model = new std::shared_ptr<const mlpipe::serving::ServedModel>(MakeModel());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const mlpipe::serving::ServedModel& model = **g_model;
  auto check = [&](const mlpipe::StatusOr<mlpipe::serving::ParsedRequest>& request) {
    if (!request.ok()) return;
    auto rows = mlpipe::serving::PredictRows(model, *request);
    if (rows.ok() && rows->size() != request->rows) std::abort();  // one prediction per row
  };
  check(mlpipe::serving::ParseInferRequest(body, model));
  check(mlpipe::serving::ParsePredictRequest(body, model));
  // The binary tensor extension: the first two bytes choose the JSON
  // header's length (Inference-Header-Content-Length), the rest is the body.
  if (size >= 2) {
    const std::string_view rest = body.substr(2);
    const size_t json_size = (data[0] | (static_cast<size_t>(data[1]) << 8)) % (rest.size() + 1);
    check(mlpipe::serving::ParseInferRequest(rest, model, json_size));
  }
  return 0;
}
