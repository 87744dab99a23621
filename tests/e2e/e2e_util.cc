#include "tests/e2e/e2e_util.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace mlpipe::e2e {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int Spawn(const std::string& dir, const std::vector<std::string>& args,
          const std::map<std::string, std::string>& extra_env, const std::string& out_path,
          const std::string& err_path) {
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (chdir(dir.c_str()) != 0) _exit(127);
    setenv("MLPIPE_HOME", (dir + "/.mlpipe").c_str(), 1);
    unsetenv("MLPIPE_COLOR");
    for (const auto& [k, v] : extra_env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string bin = MLPIPE_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

Project::Project(const std::string& name) {
  dir_ = testing::TempDir() + "mlpipe-e2e-" + name + "-" + std::to_string(getpid());
  fs::remove_all(dir_);
  fs::create_directories(dir_);
}

Project::~Project() {
  std::error_code ec;
  // The store makes objects read-only; make them writable so they can go.
  Shell("chmod -R u+w '" + dir_ + "' 2>/dev/null");
  fs::remove_all(dir_, ec);
}

void Project::Write(const std::string& rel, const std::string& content) const {
  fs::path p = fs::path(dir_) / rel;
  fs::create_directories(p.parent_path());
  std::ofstream(p) << content;
}

std::string Project::Read(const std::string& rel) const { return Slurp(Path(rel)); }

void Project::CopyFromRepo(const std::string& repo_rel, const std::string& rel) const {
  fs::path dst = fs::path(dir_) / rel;
  fs::create_directories(dst.parent_path());
  fs::copy(fs::path(MLPIPE_SOURCE_DIR) / repo_rel, dst,
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

CommandOutput Project::Mlpipe(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& extra_env) const {
  return RunIn(dir_, args, extra_env);
}

CommandOutput Project::MlpipeIn(const std::string& rel, const std::vector<std::string>& args,
                                const std::map<std::string, std::string>& extra_env) const {
  return RunIn(rel.empty() || rel == "." ? dir_ : Path(rel), args, extra_env);
}

CommandOutput Project::RunIn(const std::string& dir, const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& extra_env) const {
  std::string out_path = dir_ + "/.stdout";
  std::string err_path = dir_ + "/.stderr";
  auto t0 = std::chrono::steady_clock::now();
  int pid = Spawn(dir, args, extra_env, out_path, err_path);
  CommandOutput result;
  result.exit_code = WaitFor(pid);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result.out = Slurp(out_path);
  result.err = Slurp(err_path);
  return result;
}

int Project::StartMlpipe(const std::vector<std::string>& args, const std::string& out_path,
                         const std::string& err_path) const {
  return Spawn(dir_, args, {}, out_path, err_path);
}

int Project::StartMlpipeIn(const std::string& rel, const std::vector<std::string>& args,
                           const std::string& out_path, const std::string& err_path,
                           const std::map<std::string, std::string>& extra_env) const {
  return Spawn(Path(rel), args, extra_env, out_path, err_path);
}

int WaitFor(int pid, double* seconds) {
  auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (seconds) *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int Shell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string ShellOutput(const std::string& cmd, int* rc) {
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p != nullptr && (n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = p == nullptr ? -1 : pclose(p);
  if (rc) *rc = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

int CountLines(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

std::string EnvOf(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string MissingServices(NeededServices needed) {
  auto why = [](const char* reason_var, const char* otherwise) {
    const std::string reason = EnvOf(reason_var);
    return reason.empty() ? std::string(otherwise) : reason;
  };
  std::string missing;
  if (needed.pg && EnvOf("MLPIPE_TEST_PG_URL").empty())
    missing += "PostgreSQL (" + why("MLPIPE_PG_UNAVAILABLE", "MLPIPE_TEST_PG_URL not set") + "); ";
  if (needed.s3 && EnvOf("MLPIPE_TEST_S3_ENDPOINT").empty())
    missing += "S3 (" + why("MLPIPE_S3_UNAVAILABLE", "MLPIPE_TEST_S3_ENDPOINT not set") + "); ";
  if (needed.slurm) {
    int rc = 0;
    ShellOutput("sinfo -h -o %P 2>&1", &rc);
    if (rc != 0) missing += "Slurm (" + why("MLPIPE_SLURM_UNAVAILABLE", "sinfo does not answer") + "); ";
  }
  return missing;
}

std::string RunningSlurmJob(const std::string& name) {
  std::string job;
  for (int i = 0; i < 300 && job.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    job = ShellOutput(fmt::format("squeue -h -t R -n {} -o %i | tail -1", name));
    while (!job.empty() && job.back() == '\n') job.pop_back();
  }
  return job;
}

std::string SlurmJobStateOf(const std::string& job) {
  std::string state = ShellOutput(fmt::format("squeue -h -t all -j {} -o %T", job));
  while (!state.empty() && state.back() == '\n') state.pop_back();
  return state;
}

bool ProcessAlive(int pid) {
  if (kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(stat, s);
  auto close = s.rfind(')');
  return close == std::string::npos || s.size() < close + 2 || s[close + 2] != 'Z';
}

void ExpectTwoWorkspacesShareOneMetadataStore(const Project& p, const std::string& pipeline_yaml,
                                              const std::string& pipeline, const std::string& metadata) {
  for (const std::string ws : {"alice", "bob"}) {
    p.Write(ws + "/pipeline.yaml", pipeline_yaml);
    p.Write(ws + "/.mlpipe/config.yaml", "metadata: " + metadata + "\n");
  }
  CommandOutput run = p.MlpipeIn("alice", {"run", "pipeline.yaml"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // bob never ran it, yet sees alice's run and its step from the shared store.
  CommandOutput list = p.MlpipeIn("bob", {"runs", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(Contains(list.out, pipeline)) << list.out;
  // bob's own run of it is recorded in the same store (it runs: alice's
  // output is not in bob's object store, and no S3 store shares it).
  CommandOutput again = p.MlpipeIn("bob", {"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  CommandOutput both = p.MlpipeIn("alice", {"runs", "list", "--json"});
  EXPECT_EQ(CountLines(both.out, pipeline), 2) << both.out;
  EXPECT_NE(Shell("test -e " + p.Path("alice/.mlpipe/metadata.db")), 0);
  EXPECT_NE(Shell("test -e " + p.Path("bob/.mlpipe/metadata.db")), 0);
}

}  // namespace mlpipe::e2e
