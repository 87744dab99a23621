// Helpers for end-to-end tests: a scratch project folder with its own
// workspace, and running the real mlpipe binary in it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mlpipe::e2e {

struct CommandOutput {
  int exit_code = -1;  // 128 + signal if killed
  std::string out;
  std::string err;
  double seconds = 0;
};

// A fresh folder under the test temp dir, removed at destruction, with
// MLPIPE_HOME pointing inside it.
class Project {
 public:
  explicit Project(const std::string& name);
  ~Project();
  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& rel) const { return dir_ + "/" + rel; }
  // Writes a file (creating parent folders).
  void Write(const std::string& rel, const std::string& content) const;
  std::string Read(const std::string& rel) const;
  // Copies a file or folder from the source tree (relative to the repo root).
  void CopyFromRepo(const std::string& repo_rel, const std::string& rel) const;
  // Runs `mlpipe args...` in dir() and waits.
  CommandOutput Mlpipe(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& extra_env = {}) const;
  // Runs `mlpipe args...` in the folder `rel` of dir() (its workspace is
  // rel/.mlpipe) and waits.
  CommandOutput MlpipeIn(const std::string& rel, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& extra_env = {}) const;
  // Starts `mlpipe args...` in dir() without waiting; returns the pid.
  // Output goes to the files `out_path` and `err_path`.
  int StartMlpipe(const std::vector<std::string>& args, const std::string& out_path,
                  const std::string& err_path) const;
  // The same in the folder `rel` of dir() (its workspace is rel/.mlpipe).
  int StartMlpipeIn(const std::string& rel, const std::vector<std::string>& args, const std::string& out_path,
                    const std::string& err_path,
                    const std::map<std::string, std::string>& extra_env = {}) const;

 private:
  CommandOutput RunIn(const std::string& dir, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& extra_env) const;
  std::string dir_;
};

// Waits for a started process; returns its exit code (128 + signal).
int WaitFor(int pid, double* seconds = nullptr);
// Runs a shell command line, returns exit code.
int Shell(const std::string& cmd);
// Runs a shell command line; returns its stdout, and its exit code in *rc.
std::string ShellOutput(const std::string& cmd, int* rc = nullptr);
// Number of lines of `text` containing `needle`.
int CountLines(const std::string& text, const std::string& needle);
bool Contains(const std::string& text, const std::string& needle);
// The environment variable `name`, or "" when it is not set.
std::string EnvOf(const char* name);
// What the services a test needs lack ("" when they all answer), for its
// GTEST_SKIP: PostgreSQL (MLPIPE_TEST_PG_URL), S3 (MLPIPE_TEST_S3_ENDPOINT),
// Slurm (sinfo answers), each with the reason with_services.sh gave.
struct NeededServices {
  bool pg = false;
  bool s3 = false;
  bool slurm = false;
};
std::string MissingServices(NeededServices needed);
// A Slurm job's id once Slurm runs the job named `name` (waits up to 30 s);
// "" if it never does.
std::string RunningSlurmJob(const std::string& name);
// squeue's state of `job` ("RUNNING", "CANCELLED"...); "" once it forgot it.
std::string SlurmJobStateOf(const std::string& job);
// True if a process with this pid exists (and is not a zombie).
bool ProcessAlive(int pid);

// Two workspaces in `p`, alice/ and bob/, each with `pipeline_yaml` (whose
// pipeline is named `pipeline`) and a .mlpipe/config.yaml whose `metadata:`
// is `metadata`: alice's run shows in bob's list, bob's own run lands in the
// same store (alice then lists two), and neither workspace makes a
// metadata.db of its own. Failures are the calling test's.
void ExpectTwoWorkspacesShareOneMetadataStore(const Project& p, const std::string& pipeline_yaml,
                                              const std::string& pipeline, const std::string& metadata);

}  // namespace mlpipe::e2e
