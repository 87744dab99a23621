#include "mlpipe/cli/init_project.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/project_template.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::cli {
namespace {

constexpr const char* kWorkspaceEntry = ".mlpipe/";

std::string AbsoluteDir(const std::string& dir) {
  std::filesystem::path p = std::filesystem::absolute(dir.empty() ? "." : dir).lexically_normal();
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// The template's files that are there already, and the first of its
// folders that is a file (which no --force can fix).
Status FindConflicts(store::FileSystem& fs, const std::string& dir, const std::vector<TemplateFile>& files,
                     std::vector<std::string>* existing) {
  auto root = fs.Stat(dir);
  if (root.ok() && !root->is_dir) return AlreadyExistsError(dir + " exists and is not a folder");
  for (const TemplateFile& f : files) {
    const std::vector<std::string> parts = Split(f.path, '/');
    std::string rel;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      rel = rel.empty() ? parts[i] : rel + "/" + parts[i];
      auto st = fs.Stat(store::JoinPath(dir, rel));
      if (st.ok() && !st->is_dir) {
        return AlreadyExistsError(fmt::format(
            "{} is a file; the template needs a folder there (--force does not replace it)", rel));
      }
    }
    auto st = fs.Stat(store::JoinPath(dir, f.path));
    if (st.ok()) {
      if (st->is_dir) {
        return AlreadyExistsError(fmt::format(
            "{} is a folder; the template writes a file there (--force does not replace it)", f.path));
      }
      existing->push_back(f.path);
    }
  }
  return OkStatus();
}

Status UpdateGitignore(store::FileSystem& fs, const std::string& dir, GitignoreChange* change) {
  const std::string path = store::JoinPath(dir, ".gitignore");
  std::string existing;
  if (fs.Exists(path)) {
    ASSIGN_OR_RETURN(existing, fs.ReadFileToString(path));
    *change = GitignoreChange::kAppended;
  } else {
    *change = GitignoreChange::kCreated;
  }
  bool changed = false;
  const std::string text = GitignoreWithWorkspace(existing, &changed);
  if (!changed) {
    *change = GitignoreChange::kAlreadyIgnored;
    return OkStatus();
  }
  return fs.WriteFileAtomically(path, text);
}

}  // namespace

std::string GitignoreWithWorkspace(const std::string& existing, bool* changed) {
  for (const std::string& line : Split(existing, '\n')) {
    const std::string_view entry = Trim(line);
    if (entry == ".mlpipe/" || entry == ".mlpipe" || entry == "/.mlpipe/" || entry == "/.mlpipe") {
      *changed = false;
      return existing;
    }
  }
  *changed = true;
  std::string text = existing;
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text + kWorkspaceEntry + "\n";
}

StatusOr<InitReport> InitProject(const InitOptions& options, store::FileSystem& fs) {
  ASSIGN_OR_RETURN(std::vector<TemplateFile> files, ProjectTemplate(options.template_name));
  InitReport report;
  report.dir = AbsoluteDir(options.dir);

  std::vector<std::string> existing;
  RETURN_IF_ERROR(FindConflicts(fs, report.dir, files, &existing));
  if (!existing.empty() && !options.force) {
    return AlreadyExistsError(fmt::format("{} already has {}; nothing was written (--force overwrites {})",
                                          report.dir, Join(existing, ", "),
                                          existing.size() == 1 ? "it" : "them"));
  }

  for (const TemplateFile& f : files) {
    const std::string path = store::JoinPath(report.dir, f.path);
    RETURN_IF_ERROR(fs.MakeDirs(store::DirName(path)));
    RETURN_IF_ERROR(fs.WriteFileAtomically(path, std::string(f.content)));
    report.written.push_back(f.path);
  }
  report.overwritten = existing;
  RETURN_IF_ERROR(UpdateGitignore(fs, report.dir, &report.gitignore));

  if (options.mlpipe_home) {
    report.workspace = AbsoluteDir(*options.mlpipe_home);
    return report;
  }
  const std::string workspace = store::JoinPath(report.dir, ".mlpipe");
  report.workspace_created = !fs.Exists(workspace);
  ASSIGN_OR_RETURN(store::Workspace ws, store::Workspace::OpenOrCreate(report.dir, workspace, fs));
  report.workspace = ws.root();
  return report;
}

}  // namespace mlpipe::cli
