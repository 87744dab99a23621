#include "mlpipe/spec/notebook_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"

namespace mlpipe::spec {
namespace {

using nlohmann::json;

// A notebook's multiline strings are a string or a list of strings (lines).
StatusOr<std::string> MultilineText(const json& value, const std::string& what) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_array())
    return InvalidArgumentError(fmt::format("{} is neither text nor a list of lines", what));
  std::string text;
  for (const json& line : value) {
    if (!line.is_string()) return InvalidArgumentError(fmt::format("{} holds a line that is not text", what));
    text += line.get_ref<const std::string&>();
  }
  return text;
}

const json* FindPath(const json& root, std::initializer_list<const char*> keys) {
  const json* at = &root;
  for (const char* key : keys) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::string TextAt(const json& root, std::initializer_list<const char*> keys) {
  const json* v = FindPath(root, keys);
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

StatusOr<NotebookCell> ParseCell(const json& cell, size_t index) {
  const std::string what = fmt::format("cell {}", index + 1);
  if (!cell.is_object()) return InvalidArgumentError(what + " is not a JSON object");
  NotebookCell out;
  auto type = cell.find("cell_type");
  if (type == cell.end() || !type->is_string()) return InvalidArgumentError(what + " has no cell_type");
  out.type = type->get<std::string>();
  auto source = cell.find("source");
  if (source == cell.end()) return InvalidArgumentError(what + " has no source");
  ASSIGN_OR_RETURN(out.source, MultilineText(*source, "the source of " + what));
  if (const json* tags = FindPath(cell, {"metadata", "tags"}); tags != nullptr && tags->is_array()) {
    for (const json& tag : *tags) {
      if (tag.is_string()) out.tags.push_back(tag.get<std::string>());
    }
  }
  if (auto attachments = cell.find("attachments"); attachments != cell.end() && !attachments->empty()) {
    out.attachments = attachments->dump();
  }
  return out;
}

}  // namespace

bool NotebookCell::HasTag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

StatusOr<NotebookFile> ParseNotebook(std::string_view text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." without the prefix.
    std::string message = e.what();
    size_t at = message.find("parse error");
    return InvalidArgumentError("not valid JSON: " +
                                (at == std::string::npos ? message : message.substr(at)));
  }
  if (!root.is_object()) return InvalidArgumentError("not a Jupyter notebook: the JSON is not an object");
  NotebookFile nb;
  auto format = root.find("nbformat");
  if (format == root.end() || !format->is_number_integer()) {
    return InvalidArgumentError("not a Jupyter notebook: no nbformat version");
  }
  nb.nbformat = format->get<int>();
  if (nb.nbformat < 4) {
    return InvalidArgumentError(fmt::format(
        "notebook format {} is too old; convert it with: jupyter nbconvert --to notebook --nbformat 4",
        nb.nbformat));
  }
  auto cells = root.find("cells");
  if (cells == root.end() || !cells->is_array()) {
    return InvalidArgumentError("not a Jupyter notebook: no cells list");
  }
  for (size_t i = 0; i < cells->size(); ++i) {
    auto cell = ParseCell((*cells)[i], i);
    if (!cell.ok()) return cell.status().WithContext("not a Jupyter notebook");
    if (nb.parameters_cell < 0 && cell->HasTag("parameters")) nb.parameters_cell = static_cast<int>(i);
    nb.cells.push_back(std::move(cell).value());
  }
  nb.kernel_name = TextAt(root, {"metadata", "kernelspec", "name"});
  nb.language = TextAt(root, {"metadata", "kernelspec", "language"});
  if (nb.language.empty()) nb.language = TextAt(root, {"metadata", "language_info", "name"});
  return nb;
}

std::string NotebookCodeDigest(const NotebookFile& notebook) {
  json cells = json::array();
  for (const NotebookCell& cell : notebook.cells) {
    json c = {{"type", cell.type}, {"source", cell.source}, {"tags", cell.tags}};
    if (!cell.attachments.empty()) c["attachments"] = cell.attachments;
    cells.push_back(std::move(c));
  }
  json record = {{"kernel", notebook.kernel_name}, {"cells", std::move(cells)}};
  return "sha256:" + Sha256Hex(record.dump());
}

StatusOr<std::string> NotebookFileCodeDigest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError("read notebook " + path, errno);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return ErrnoError("read notebook " + path, errno);
  auto notebook = ParseNotebook(text);
  if (!notebook.ok()) return notebook.status().WithContext("notebook " + path);
  return NotebookCodeDigest(*notebook);
}

bool IsNotebookPath(std::string_view path) { return EndsWith(path, ".ipynb"); }

}  // namespace mlpipe::spec
