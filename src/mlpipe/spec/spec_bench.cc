// Benchmark (not a test): loads generated 10,000-step pipelines and prints
// the best and median load time and the peak RSS.
//
//   mlpipe_spec_bench [REPEATS=10] [STEPS=10000]
//
// Two shapes, each step with run:, one output and one input: a chain (step i
// reads step i-1's output; step 0 reads a source) and a fan-out (step 0
// reads a source, every other step reads step 0's output). Every command
// names the same script, so code-file detection runs on every step. Files go
// to a fresh temporary folder that is removed afterwards. CPU time is printed
// too: on a shared machine it is steadier than wall time.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlpipe/spec/loader.h"

namespace {

namespace fs = std::filesystem;

std::string Pipeline(const std::string& name, int steps, bool chain) {
  std::string yaml = fmt::format("pipeline: {}\nparams:\n  n: 1\nsteps:\n", name);
  yaml.reserve(static_cast<size_t>(steps) * 140);
  for (int i = 0; i < steps; ++i) {
    yaml += fmt::format("  s{}:\n    run: python3 scripts/count.py ${{inputs.in}} ${{outputs.out}} --n ${{params.n}}\n", i);
    if (i == 0) {
      yaml += "    inputs:\n      in: ./data/in.txt\n";
    } else {
      yaml += fmt::format("    inputs:\n      in: s{}.out\n", chain ? i - 1 : 0);
    }
    yaml += "    outputs:\n      out: dataset\n";
  }
  return yaml;
}

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

long PeakRssKib() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

bool Bench(const std::string& label, const std::string& path, int repeats, size_t steps) {
  std::vector<double> ms;
  std::vector<double> cpu_ms;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    double cpu_start = CpuMs();
    mlpipe::spec::LoadResult result = mlpipe::spec::LoadPipelineFile(path);
    double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    cpu_ms.push_back(CpuMs() - cpu_start);
    if (!result.ok() || result.spec.steps.size() != steps) {
      std::fprintf(stderr, "%s: load failed:\n%s", label.c_str(), result.ErrorText().substr(0, 2000).c_str());
      return false;
    }
    ms.push_back(elapsed);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu_ms.begin(), cpu_ms.end());
  std::printf("%-7s %zu steps, %.0f KiB: best %.1f ms, median %.1f ms wall (CPU: best %.1f, median %.1f ms) "
              "in %d runs; peak RSS so far %ld KiB\n",
              label.c_str(), steps, static_cast<double>(fs::file_size(path)) / 1024.0, ms.front(), ms[ms.size() / 2],
              cpu_ms.front(), cpu_ms[cpu_ms.size() / 2], repeats, PeakRssKib());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  int steps = argc > 2 ? std::max(1, std::atoi(argv[2])) : 10000;
  std::string pattern = (fs::temp_directory_path() / "mlpipe-spec-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  fs::path dir = pattern;
  Write(dir / "scripts/count.py", "print('count')\n");
  Write(dir / "data/in.txt", "x\n");
  Write(dir / "chain.yaml", Pipeline("chain", steps, /*chain=*/true));
  Write(dir / "fanout.yaml", Pipeline("fanout", steps, /*chain=*/false));
  std::printf("peak RSS before loading: %ld KiB\n", PeakRssKib());
  bool ok = Bench("chain", (dir / "chain.yaml").string(), repeats, static_cast<size_t>(steps)) &&
            Bench("fan-out", (dir / "fanout.yaml").string(), repeats, static_cast<size_t>(steps));
  std::error_code ec;
  fs::remove_all(dir, ec);
  return ok ? 0 : 1;
}
