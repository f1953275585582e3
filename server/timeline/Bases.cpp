#include "timeline/Bases.h"

#include <git2.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace mantra::timeline {
namespace fs = std::filesystem;

namespace {

void initGit() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string canonical(const std::string &p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

} // namespace

struct RepoBases::Impl {
  std::string project, branch;
  std::optional<int64_t> startedMs;
  bool tried = false;
  git_repository *repo = nullptr;
  git_tree *tree = nullptr;
  std::string workdir; // canonical, with a trailing '/'
  std::string commitNote;

  ~Impl() {
    if (tree)
      git_tree_free(tree);
    if (repo)
      git_repository_free(repo);
  }

  // Opens the repository and finds the session's starting commit, once.
  bool open() {
    if (tried)
      return tree != nullptr;
    tried = true;
    if (project.empty())
      return false;
    std::error_code ec;
    if (!fs::is_directory(project, ec))
      return false;
    initGit();
    if (git_repository_open_ext(&repo, project.c_str(), 0, nullptr) != 0 || !repo)
      return false;
    const char *wd = git_repository_workdir(repo);
    if (!wd)
      return false;
    workdir = canonical(wd);
    if (workdir.empty() || workdir.back() != '/')
      workdir += '/';
    git_object *tip = nullptr;
    if (!branch.empty()) {
      const std::string ref = "refs/heads/" + branch;
      git_revparse_single(&tip, repo, ref.c_str());
    }
    if (!tip && git_revparse_single(&tip, repo, "HEAD") != 0)
      return false;
    git_revwalk *walk = nullptr;
    if (git_revwalk_new(&walk, repo) != 0) {
      git_object_free(tip);
      return false;
    }
    git_revwalk_sorting(walk, GIT_SORT_TIME);
    git_revwalk_push(walk, git_object_id(tip));
    git_object_free(tip);
    git_oid oid;
    git_commit *found = nullptr;
    while (git_revwalk_next(&oid, walk) == 0) {
      git_commit *c = nullptr;
      if (git_commit_lookup(&c, repo, &oid) != 0)
        continue;
      const int64_t t = static_cast<int64_t>(git_commit_time(c)) * 1000;
      if (!startedMs || t <= *startedMs) {
        found = c;
        break;
      }
      git_commit_free(c);
    }
    git_revwalk_free(walk);
    if (!found)
      return false;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, git_commit_id(found));
    commitNote = std::string("commit ") + std::string(hex, 12);
    const int rc = git_commit_tree(&tree, found);
    git_commit_free(found);
    return rc == 0;
  }
};

RepoBases::RepoBases(std::string project, std::string branch, std::optional<int64_t> startedMs)
    : impl_(std::make_unique<Impl>()) {
  impl_->project = std::move(project);
  impl_->branch = std::move(branch);
  impl_->startedMs = startedMs;
}

RepoBases::~RepoBases() = default;

BaseContent RepoBases::git(const std::string &path) {
  BaseContent out;
  if (!impl_->open())
    return out;
  std::string p = canonical(path);
  if (p.rfind(impl_->workdir, 0) != 0)
    return out;
  const std::string rel = p.substr(impl_->workdir.size());
  git_tree_entry *entry = nullptr;
  const int rc = git_tree_entry_bypath(&entry, impl_->tree, rel.c_str());
  if (rc == GIT_ENOTFOUND) {
    out.state = BaseContent::State::Absent;
    out.note = impl_->commitNote;
    return out;
  }
  if (rc != 0)
    return out;
  if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
    git_blob *blob = nullptr;
    if (git_blob_lookup(&blob, impl_->repo, git_tree_entry_id(entry)) == 0) {
      const auto size = static_cast<size_t>(git_blob_rawsize(blob));
      if (size > kMaxFileBytes) {
        out.note = "larger than 8 MiB";
      } else {
        out.state = BaseContent::State::Found;
        out.content.assign(static_cast<const char *>(git_blob_rawcontent(blob)), size);
        out.note = impl_->commitNote;
      }
      git_blob_free(blob);
    }
  }
  git_tree_entry_free(entry);
  return out;
}

BaseContent RepoBases::disk(const std::string &path) {
  BaseContent out;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return out; // its absence now says nothing about the session's start
  const auto size = fs::file_size(path, ec);
  if (ec)
    return out;
  if (size > kMaxFileBytes) {
    out.note = "larger than 8 MiB";
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return out;
  std::ostringstream ss;
  ss << in.rdbuf();
  out.state = BaseContent::State::Found;
  out.content = ss.str();
  out.note = "the file as it is now";
  return out;
}

} // namespace mantra::timeline
