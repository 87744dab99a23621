#include "mlpipe/engine/node_step.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "mlpipe/base/secret_names.h"
#include "mlpipe/base/sha256.h"

namespace mlpipe::engine {
namespace {

using nlohmann::json;

// A character a path can hold: where a root is named inside a longer path
// ("/a/b" inside "/x/a/b"), it is not a root there.
bool InPathName(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '/' || c == '.' || c == '_' || c == '-' ||
         c == '+' || c == '~' || c == '@' || c == '%' || c == ',';
}

std::string NormalNodeRoot(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

json NodePairsJson(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json a = json::array();
  for (const auto& [first, second] : pairs) a.push_back(json::array({first, second}));
  return a;
}

// Reads j[key] as T, naming the field when it is malformed.
template <typename T>
Status ReadField(const json& j, const char* key, T& out, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return InvalidArgumentError(fmt::format("node step: no '{}'", key));
    return OkStatus();
  }
  try {
    out = it->template get<T>();
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("node step: '{}': {}", key, e.what()));
  }
  return OkStatus();
}

// A file in the temp folder, removed when this goes.
class NodeStepTempFile {
 public:
  NodeStepTempFile() {
    const char* dir = std::getenv("TMPDIR");
    path_ = fmt::format("{}/mlpipe-node-step.XXXXXX", dir != nullptr && *dir != '\0' ? dir : "/tmp");
    const int fd = ::mkstemp(path_.data());
    if (fd < 0) {
      error_ = fmt::format("cannot make a temp file {}: {}", path_, std::strerror(errno));
      path_.clear();
    } else {
      ::close(fd);
    }
  }
  ~NodeStepTempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  NodeStepTempFile(const NodeStepTempFile&) = delete;
  NodeStepTempFile& operator=(const NodeStepTempFile&) = delete;
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string error_;
};

}  // namespace

NodePathMap::NodePathMap(std::vector<std::string> roots, std::string node_dir)
    : node_dir_(NormalNodeRoot(std::move(node_dir))) {
  for (std::string& r : roots) {
    r = NormalNodeRoot(std::move(r));
    if (r.empty() || r == "/" || r.front() != '/') continue;
    if (std::find(roots_.begin(), roots_.end(), r) == roots_.end()) roots_.push_back(r);
  }
  std::sort(roots_.begin(), roots_.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
}

std::string NodePathMap::Path(const std::string& path) const {
  for (const std::string& r : roots_) {
    if (path.compare(0, r.size(), r) == 0 && (path.size() == r.size() || path[r.size()] == '/'))
      return node_dir_ + path;
  }
  return path;
}

std::string NodePathMap::Text(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const std::string* hit = nullptr;
    if (text[i] == '/' && (i == 0 || !InPathName(text[i - 1]))) {
      for (const std::string& r : roots_) {
        if (text.compare(i, r.size(), r) != 0) continue;
        const size_t end = i + r.size();
        if (end == text.size() || text[end] == '/' || !InPathName(text[end])) {
          hit = &r;
          break;
        }
      }
    }
    if (hit != nullptr) {
      out += node_dir_;
      out += *hit;
      i += hit->size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::vector<std::string> WithoutSecrets(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const std::string& kv : env) {
    const size_t eq = kv.find('=');
    out.push_back(eq != std::string::npos && IsSecretVariable(std::string_view(kv).substr(0, eq))
                      ? kv.substr(0, eq)
                      : kv);
  }
  return out;
}

std::vector<std::string> WithSecrets(const std::vector<std::string>& env,
                                     const std::function<const char*(const char*)>& getenv) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const std::string& kv : env) {
    if (kv.find('=') != std::string::npos) {
      out.push_back(kv);
    } else if (const char* v = getenv(kv.c_str()); v != nullptr) {
      out.push_back(kv + "=" + v);
    }
  }
  return out;
}

json NodeStepRequestJson(const NodeStepRequest& r) {
  const exec::Command& c = r.command;
  return json{{"version", 1},
              {"job_dir", r.job_dir},
              {"command",
               {{"argv", c.argv},
                {"env", c.env},
                {"cwd", c.cwd},
                {"stdout", c.stdout_path},
                {"stderr", c.stderr_path},
                {"timeout_ns", c.timeout_ns},
                {"name", c.name}}},
              {"objects", NodePairsJson(r.objects)},
              {"texts", NodePairsJson(r.texts)},
              {"returned", NodePairsJson(r.returned)}};
}

StatusOr<NodeStepRequest> ParseNodeStepRequest(const json& j) {
  if (!j.is_object()) return InvalidArgumentError("node step: the request is not a JSON object");
  int version = 0;
  RETURN_IF_ERROR(ReadField(j, "version", version));
  if (version != 1) {
    return InvalidArgumentError(fmt::format(
        "node step: request version {} (this mlpipe reads 1: is the node's mlpipe older?)", version));
  }
  NodeStepRequest r;
  RETURN_IF_ERROR(ReadField(j, "job_dir", r.job_dir));
  if (r.job_dir.empty() || r.job_dir.front() != '/')
    return InvalidArgumentError("node step: 'job_dir' must be an absolute path");
  json c;
  RETURN_IF_ERROR(ReadField(j, "command", c));
  if (!c.is_object()) return InvalidArgumentError("node step: 'command' is not an object");
  RETURN_IF_ERROR(ReadField(c, "argv", r.command.argv));
  if (r.command.argv.empty()) return InvalidArgumentError("node step: 'command.argv' is empty");
  RETURN_IF_ERROR(ReadField(c, "env", r.command.env));
  RETURN_IF_ERROR(ReadField(c, "cwd", r.command.cwd));
  RETURN_IF_ERROR(ReadField(c, "stdout", r.command.stdout_path));
  RETURN_IF_ERROR(ReadField(c, "stderr", r.command.stderr_path));
  RETURN_IF_ERROR(ReadField(c, "timeout_ns", r.command.timeout_ns));
  RETURN_IF_ERROR(ReadField(c, "name", r.command.name, /*required=*/false));
  RETURN_IF_ERROR(ReadField(j, "objects", r.objects));
  RETURN_IF_ERROR(ReadField(j, "texts", r.texts));
  RETURN_IF_ERROR(ReadField(j, "returned", r.returned));
  return r;
}

json NodeStepResultJson(const NodeStepResult& r) {
  const exec::CommandResult& c = r.result;
  json files = json::array();
  for (const NodeStepFile& f : r.files)
    files.push_back({{"path", f.path}, {"ref", f.ref}, {"is_dir", f.is_dir}});
  return json{{"version", 1},
              {"node", r.node},
              {"result",
               {{"exit_code", c.exit_code},
                {"term_signal", c.term_signal},
                {"timed_out", c.timed_out},
                {"cancelled", c.cancelled},
                {"timeout_ns", c.timeout_ns},
                {"wall_ns", c.wall_ns},
                {"cpu_ns", c.cpu_ns},
                {"max_rss_bytes", c.max_rss_bytes},
                {"error", c.error}}},
              {"files", files}};
}

StatusOr<NodeStepResult> ParseNodeStepResult(const json& j) {
  if (!j.is_object()) return InvalidArgumentError("node step: the result is not a JSON object");
  NodeStepResult r;
  RETURN_IF_ERROR(ReadField(j, "node", r.node));
  json c;
  RETURN_IF_ERROR(ReadField(j, "result", c));
  if (!c.is_object()) return InvalidArgumentError("node step: 'result' is not an object");
  exec::CommandResult& out = r.result;
  RETURN_IF_ERROR(ReadField(c, "exit_code", out.exit_code));
  RETURN_IF_ERROR(ReadField(c, "term_signal", out.term_signal));
  RETURN_IF_ERROR(ReadField(c, "timed_out", out.timed_out));
  RETURN_IF_ERROR(ReadField(c, "cancelled", out.cancelled));
  RETURN_IF_ERROR(ReadField(c, "timeout_ns", out.timeout_ns));
  RETURN_IF_ERROR(ReadField(c, "wall_ns", out.wall_ns));
  RETURN_IF_ERROR(ReadField(c, "cpu_ns", out.cpu_ns));
  RETURN_IF_ERROR(ReadField(c, "max_rss_bytes", out.max_rss_bytes));
  RETURN_IF_ERROR(ReadField(c, "error", out.error));
  json files;
  RETURN_IF_ERROR(ReadField(j, "files", files));
  if (!files.is_array()) return InvalidArgumentError("node step: 'files' is not a list");
  for (const json& f : files) {
    if (!f.is_object()) return InvalidArgumentError("node step: an entry of 'files' is not an object");
    NodeStepFile file;
    RETURN_IF_ERROR(ReadField(f, "path", file.path));
    RETURN_IF_ERROR(ReadField(f, "ref", file.ref));
    RETURN_IF_ERROR(ReadField(f, "is_dir", file.is_dir));
    r.files.push_back(std::move(file));
  }
  return r;
}

std::string NodeStepKey(std::string_view token, std::string_view file) {
  return fmt::format("{}{}/{}", kNodeStepsPrefix, token, file);
}

std::string NewNodeStepToken() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  std::seed_seq seed{rd(), rd(), rd(), rd()};
  std::mt19937_64 gen(seed);
  return fmt::format("{:016x}{:016x}", dist(gen), dist(gen));
}

StatusOr<int> RemoveStaleNodeSteps(store::S3Client& client, int64_t min_age_ns, int64_t now_ns,
                                   bool dry_run) {
  const int64_t age_ns = std::max(min_age_ns, kStaleNodeStepNs);
  ASSIGN_OR_RETURN(std::vector<store::S3ObjectEntry> listed,
                   client.ListObjects(std::string(kNodeStepsPrefix)));
  std::set<std::string> steps;
  for (const store::S3ObjectEntry& e : listed) {
    if (e.modified_ns == 0 || now_ns - e.modified_ns < age_ns) continue;  // 0: nothing proves it old
    steps.insert(e.key.substr(0, e.key.rfind('/')));
    if (!dry_run) RETURN_IF_ERROR(client.DeleteObject(e.key));
  }
  return static_cast<int>(steps.size());
}

Status PutNodeStepJson(store::S3Client& client, const std::string& key, const json& j) {
  NodeStepTempFile tmp;
  if (!tmp.error().empty()) return InternalError(tmp.error());
  {
    std::ofstream out(tmp.path(), std::ios::binary | std::ios::trunc);
    out << j.dump();
    if (!out.flush()) return InternalError(fmt::format("cannot write {}", tmp.path()));
  }
  ASSIGN_OR_RETURN(std::string sha, Sha256FileHex(tmp.path()));
  return client.PutObject(key, tmp.path(), sha);
}

StatusOr<json> GetNodeStepJson(store::S3Client& client, const std::string& key) {
  NodeStepTempFile tmp;
  if (!tmp.error().empty()) return InternalError(tmp.error());
  RETURN_IF_ERROR(client.GetObject(key, tmp.path()).status());
  std::ifstream in(tmp.path(), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return InvalidArgumentError(fmt::format("{} in {} is not JSON", key, client.Describe()));
  return j;
}

}  // namespace mlpipe::engine
