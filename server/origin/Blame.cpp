#include "origin/Blame.h"

#include <git2.h>

#include <filesystem>
#include <list>
#include <map>
#include <mutex>

namespace mantra::origin {
namespace fs = std::filesystem;

namespace {

constexpr size_t kKeptBlames = 16;
constexpr size_t kKeptRepos = 8;

struct Repo {
  git_repository *repo = nullptr;
  std::string workdir; // canonical, with a trailing '/'
};

struct Kept {
  std::string key; // workdir + relative path + '\0' + HEAD id
  git_blame *blame = nullptr;
};

std::string canonical(const fs::path &p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p.string() : c.string();
}

} // namespace

struct BlameCache::Impl {
  std::mutex mutex;
  std::map<std::string, Repo> repos; // by the folder asked about
  std::list<Kept> blames;            // most recently used first

  ~Impl() {
    for (auto &k : blames)
      git_blame_free(k.blame);
    for (auto &[_, r] : repos)
      git_repository_free(r.repo);
  }

  Repo *repoFor(const std::string &dir) {
    if (auto it = repos.find(dir); it != repos.end())
      return it->second.repo ? &it->second : nullptr;
    if (repos.size() >= kKeptRepos) {
      // Drop every kept blame before the repositories they point into.
      for (auto &k : blames)
        git_blame_free(k.blame);
      blames.clear();
      for (auto &[_, r] : repos)
        git_repository_free(r.repo);
      repos.clear();
    }
    Repo r;
    if (git_repository_open_ext(&r.repo, dir.c_str(), 0, nullptr) != 0 || !r.repo ||
        !git_repository_workdir(r.repo)) {
      if (r.repo)
        git_repository_free(r.repo);
      repos[dir] = Repo{};
      return nullptr;
    }
    r.workdir = canonical(git_repository_workdir(r.repo));
    if (r.workdir.empty() || r.workdir.back() != '/')
      r.workdir += '/';
    return &(repos[dir] = r);
  }

  // The blame of `rel` at HEAD; nullptr when the file is not in HEAD (new, or an unborn branch).
  git_blame *headBlame(Repo &r, const std::string &rel) {
    git_oid head;
    if (git_reference_name_to_id(&head, r.repo, "HEAD") != 0)
      return nullptr;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &head);
    const std::string key = r.workdir + rel + '\0' + hex;
    for (auto it = blames.begin(); it != blames.end(); ++it)
      if (it->key == key) {
        blames.splice(blames.begin(), blames, it);
        return blames.front().blame;
      }
    git_blame_options opts = GIT_BLAME_OPTIONS_INIT;
    git_blame *b = nullptr;
    if (git_blame_file(&b, r.repo, rel.c_str(), &opts) != 0)
      return nullptr;
    blames.push_front(Kept{key, b});
    if (blames.size() > kKeptBlames) {
      git_blame_free(blames.back().blame);
      blames.pop_back();
    }
    return b;
  }
};

BlameCache::BlameCache() : impl_(std::make_unique<Impl>()) {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

BlameCache::~BlameCache() = default;

std::optional<BlameLine> BlameCache::blame(const std::string &path, const std::string &content,
                                           int64_t line) {
  if (line < 1)
    return std::nullopt;
  std::lock_guard lock(impl_->mutex);
  const fs::path file = canonical(path);
  Repo *r = impl_->repoFor(file.parent_path().string());
  if (!r)
    return std::nullopt;
  const std::string abs = file.string();
  if (abs.size() <= r->workdir.size() || abs.compare(0, r->workdir.size(), r->workdir) != 0)
    return std::nullopt;
  const std::string rel = abs.substr(r->workdir.size());
  BlameLine out;
  out.workdir = r->workdir;
  git_blame *head = impl_->headBlame(*r, rel);
  if (!head)
    return out; // not in HEAD: every line is uncommitted
  git_blame *now = nullptr;
  if (git_blame_buffer(&now, head, content.data(), content.size()) != 0)
    return std::nullopt;
  const git_blame_hunk *h = git_blame_get_hunk_byline(now, static_cast<size_t>(line));
  if (!h) {
    git_blame_free(now);
    return std::nullopt;
  }
  if (!git_oid_is_zero(&h->final_commit_id)) {
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &h->final_commit_id);
    out.commit = hex;
    git_commit *c = nullptr;
    if (git_commit_lookup(&c, r->repo, &h->final_commit_id) == 0) {
      out.timeMs = static_cast<int64_t>(git_commit_time(c)) * 1000;
      if (const char *s = git_commit_summary(c))
        out.summary = s;
      if (const git_signature *a = git_commit_author(c); a && a->name)
        out.author = a->name;
      git_commit_free(c);
    }
  }
  git_blame_free(now);
  return out;
}

} // namespace mantra::origin
