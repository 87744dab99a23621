#include "mlpipe/ml/components/common.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "mlpipe/base/strings.h"

namespace mlpipe::ml::components {
namespace {

const nlohmann::json* Find(const BuiltinInvocation& inv, const std::string& name) {
  if (!inv.params.is_object()) return nullptr;
  auto it = inv.params.find(name);
  if (it == inv.params.end() || it->is_null()) return nullptr;
  return &*it;
}

Status TypeError(const std::string& name, const char* type, const nlohmann::json& v) {
  return InvalidArgumentError(fmt::format("param '{}' must be {}, got {}", name, type, v.dump()));
}

}  // namespace

StatusOr<std::string> ParamString(const BuiltinInvocation& inv, const std::string& name, const std::string& def) {
  const nlohmann::json* v = Find(inv, name);
  if (!v) return def;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number() || v->is_boolean()) return v->dump();
  return TypeError(name, "a string", *v);
}

StatusOr<int64_t> ParamInt(const BuiltinInvocation& inv, const std::string& name, int64_t def) {
  const nlohmann::json* v = Find(inv, name);
  if (!v) return def;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>()) {
    return static_cast<int64_t>(v->get<double>());
  }
  if (v->is_string()) {
    try {
      size_t used = 0;
      int64_t x = std::stoll(v->get<std::string>(), &used);
      if (used == v->get<std::string>().size()) return x;
    } catch (const std::exception&) {
    }
  }
  return TypeError(name, "an int", *v);
}

StatusOr<double> ParamFloat(const BuiltinInvocation& inv, const std::string& name, double def) {
  const nlohmann::json* v = Find(inv, name);
  if (!v) return def;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    try {
      size_t used = 0;
      double x = std::stod(v->get<std::string>(), &used);
      if (used == v->get<std::string>().size()) return x;
    } catch (const std::exception&) {
    }
  }
  return TypeError(name, "a float", *v);
}

StatusOr<bool> ParamBool(const BuiltinInvocation& inv, const std::string& name, bool def) {
  const nlohmann::json* v = Find(inv, name);
  if (!v) return def;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    std::string s = v->get<std::string>();
    if (s == "true" || s == "1" || s == "yes") return true;
    if (s == "false" || s == "0" || s == "no") return false;
  }
  return TypeError(name, "a bool", *v);
}

StatusOr<std::vector<std::string>> ParamList(const BuiltinInvocation& inv, const std::string& name) {
  const nlohmann::json* v = Find(inv, name);
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) {
    for (const std::string& part : Split(v->get<std::string>(), ',')) {
      std::string t(Trim(part));
      if (!t.empty()) out.push_back(t);
    }
    return out;
  }
  if (!v->is_array()) return TypeError(name, "a list of strings", *v);
  for (const auto& e : *v) {
    if (!e.is_string()) return TypeError(name, "a list of strings", *v);
    out.push_back(e.get<std::string>());
  }
  return out;
}

StatusOr<std::string> Input(const BuiltinInvocation& inv, const std::string& name) {
  auto it = inv.inputs.find(name);
  if (it == inv.inputs.end() || it->second.empty()) {
    return InvalidArgumentError(fmt::format("built-in '{}' needs input '{}'", inv.name, name));
  }
  return it->second;
}

std::optional<std::string> OptionalInput(const BuiltinInvocation& inv, const std::string& name) {
  auto it = inv.inputs.find(name);
  if (it == inv.inputs.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

StatusOr<std::string> Output(const BuiltinInvocation& inv, const std::string& name) {
  auto it = inv.outputs.find(name);
  if (it == inv.outputs.end() || it->second.empty()) {
    return InvalidArgumentError(fmt::format("built-in '{}' needs output '{}'", inv.name, name));
  }
  return it->second;
}

StatusOr<data::Table> ReadTable(const std::string& input_name, const std::string& path,
                                const data::CsvOptions& options) {
  auto t = data::ReadCsv(path, options);
  if (!t.ok()) return t.status().WithContext(fmt::format("input '{}'", input_name));
  return t;
}

StatusOr<data::Table> ReadForModel(const std::string& input_name, const std::string& path,
                                   const LoadedModel& model) {
  data::CsvOptions csv;
  for (const data::InputColumn& c : model.inputs()) csv.column_types[c.name] = c.type;
  return ReadTable(input_name, path, csv);
}

StatusOr<std::shared_ptr<const LoadedModel>> LoadModelInput(const std::string& input_name,
                                                            const std::string& path) {
  auto model = LoadModelPackage(path);
  if (!model.ok()) return model.status().WithContext(fmt::format("input '{}'", input_name));
  return model;
}

Status RequireColumn(const data::Table& table, const std::string& column, const std::string& what,
                     const std::string& table_name) {
  if (table.Find(column) != nullptr) return OkStatus();
  std::vector<std::string> names = table.ColumnNames();
  std::string hint = ClosestMatch(column, names);
  return InvalidArgumentError(fmt::format("{} '{}' not found in {}; columns are: {}{}", what, column, table_name,
                                          Join(names, ", "),
                                          hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
}

Status WriteText(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    if (!out) return ErrnoError("open " + tmp, errno);
    out << text;
    out.flush();
    if (!out) return ErrnoError("write " + tmp, errno);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return InternalError(fmt::format("rename {} -> {}: {}", tmp, path, ec.message()));
  return OkStatus();
}

Status WriteJsonFile(const std::string& path, const nlohmann::json& j) { return WriteText(path, j.dump(2) + "\n"); }

Status MetricsWriter::Record(const std::string& name, double value, std::optional<int64_t> step) {
  if (path_.empty() || !std::isfinite(value)) return OkStatus();
  nlohmann::json line = {{"name", name}, {"value", value}};
  if (step) line["step"] = *step;
  std::ofstream out(path_, std::ios::app);
  if (!out) return ErrnoError("open metrics file " + path_, errno);
  out << line.dump() << "\n";
  out.flush();
  if (!out) return ErrnoError("write metrics file " + path_, errno);
  return OkStatus();
}

std::ostream& Log(const BuiltinInvocation& inv) {
  static std::ofstream null_stream;  // never opened: discards
  return inv.log ? *inv.log : null_stream;
}

}  // namespace mlpipe::ml::components
