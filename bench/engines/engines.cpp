// Regex-engine micro-benchmark for Mantra's redaction rules (see README.md next to this file).
//
// Every engine runs the rule table of server/redact/Rules.cpp (compiled into this program) over
// the decoded JSON string values of a corpus of session logs, with fake secrets planted at a
// fixed density. It prints MB/s (10^6 bytes of string values per second, median of --runs), the
// findings each engine produced, how they agree with the PCRE2-JIT reference, and the extra peak
// memory of each engine (every engine runs in its own forked child; its VmHWM is reset first).
//
// "Findings" here are raw rule matches: (text, rule, start of the whole match), every rule on its
// own, non-overlapping within a rule (the same iteration as Redactor::find), before any Check and
// before overlaps between rules are merged. The one exception is the row "mantra Redactor::find",
// which is the shipped code path, checks and merge included.
//
// PCRE2 runs the rules in byte mode, as Redactor does for built-in rules (rows marked "UTF mode"
// use PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, as Redactor did before commit 053f875). The program
// uses Rule::anchored and Rule::window (server/redact/Rules.h) for row 3e.
#include "redact/Redactor.h"
#include "redact/Rules.h"

#include <hs/hs.h>
#include <nlohmann/json.hpp>
#include <pcre2.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/wait.h>
#include <tuple>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;
using mantra::redact::Rule;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMinText = 4; // Redactor::find skips texts shorter than this; so does every engine

std::string fmt(const char *f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

[[noreturn]] void die(const std::string &msg) {
  std::cerr << "engines: " << msg << "\n";
  std::exit(2);
}

// ---------------------------------------------------------------------------------------------
// Findings

struct Hit {
  uint32_t text;
  uint16_t rule;
  uint32_t ms, me; // the whole match (without context characters an adapted pattern consumed)
  uint32_t vs, ve; // what would be replaced: group 1 (or the adapted equivalent) else the match
};

using Key = std::tuple<uint32_t, uint16_t, uint32_t>; // text, rule, start

// ---------------------------------------------------------------------------------------------
// Corpus: decoded JSON string values of every file, plus planted secrets

struct Corpus {
  std::vector<std::string> texts;
  size_t files = 0, lines = 0, badLines = 0;
  std::map<std::string, int> planted;
  uint64_t bytes() const {
    uint64_t n = 0;
    for (const auto &t : texts)
      n += t.size();
    return n;
  }
};

void collectStrings(const json &j, std::vector<std::string> &out) {
  if (j.is_string())
    out.push_back(j.get<std::string>());
  else if (j.is_structured())
    for (const auto &v : j) // values only (for objects, iteration yields values, not keys)
      collectStrings(v, out);
}

Corpus loadCorpus(const fs::path &dir) {
  std::vector<fs::path> paths;
  for (const auto &e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  Corpus c;
  for (const auto &p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string data = ss.str();
    ++c.files;
    const auto ext = p.extension().string();
    if (ext == ".jsonl") {
      size_t at = 0;
      while (at < data.size()) {
        size_t nl = data.find('\n', at);
        if (nl == std::string::npos)
          nl = data.size();
        std::string_view line(data.data() + at, nl - at);
        at = nl + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos)
          continue;
        ++c.lines;
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded()) {
          ++c.badLines;
          continue;
        }
        collectStrings(j, c.texts);
      }
    } else if (ext == ".json") {
      ++c.lines;
      json j = json::parse(data, nullptr, false);
      if (j.is_discarded())
        ++c.badLines;
      else
        collectStrings(j, c.texts);
    } else {
      c.texts.push_back(data);
    }
  }
  return c;
}

// Fake secrets, random at run time, in the shapes the rules look for.
struct Planter {
  std::mt19937_64 rng;
  explicit Planter(uint64_t seed) : rng(seed) {}

  size_t below(size_t n) { return n ? static_cast<size_t>(rng() % n) : 0; }
  std::string rand(std::string_view alphabet, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i)
      s += alphabet[below(alphabet.size())];
    return s;
  }
  template <class... T> const char *pick(T... options) {
    const char *all[] = {options...};
    return all[below(sizeof...(T))];
  }

  // One line holding a secret; `kind` is the rule it is meant for.
  std::string secret(std::string &kind) {
    static constexpr std::string_view UPDIG = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static constexpr std::string_view ALNUM =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static constexpr std::string_view B64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
    static constexpr std::string_view URLSAFE =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    static constexpr std::string_view DIG = "0123456789";
    static const std::vector<std::pair<const char *, int>> kinds = {
        {"aws-access-key-id", 20}, {"github-token", 20},     {"password-assignment", 25},
        {"aws-secret-access-key", 5}, {"slack-token", 4},    {"openai-api-key", 4},
        {"anthropic-api-key", 4},  {"stripe-key", 3},        {"jwt", 4},
        {"url-credentials", 4},    {"private-ip", 4},        {"private-key", 1},
        {"google-api-key", 2}};
    int total = 0;
    for (auto &k : kinds)
      total += k.second;
    int r = static_cast<int>(below(static_cast<size_t>(total)));
    for (auto &k : kinds) {
      if (r < k.second) {
        kind = k.first;
        break;
      }
      r -= k.second;
    }
    if (kind == "aws-access-key-id")
      return std::string(pick("export AWS_ACCESS_KEY_ID=", "aws_access_key_id = ",
                              "\"AccessKeyId\": \"")) +
             "AKIA" + rand(UPDIG, 16);
    if (kind == "github-token")
      return std::string(pick("GITHUB_TOKEN=", "Authorization: token ",
                              "gh auth login --with-token <<< ")) +
             "ghp_" + rand(ALNUM, 36);
    if (kind == "password-assignment") {
      switch (below(5)) {
      case 0: return "password = \"" + rand(std::string(ALNUM) + "!@#%^&*", 14) + "\"";
      case 1: return "DB_PASSWORD=" + rand(ALNUM, 16);
      case 2: return "  \"api_key\": \"" + rand(ALNUM, 24) + "\",";
      case 3: return "client_secret: '" + rand(URLSAFE, 20) + "'";
      default: return std::string(pick("  accessKey: '", "  privateKey: '", "  authKey: '")) +
                      rand(ALNUM, 20) + "',";
      }
    }
    if (kind == "aws-secret-access-key")
      return "aws_secret_access_key = " + rand(B64, 40);
    if (kind == "slack-token")
      return "SLACK_BOT=xoxb-" + rand(DIG, 12) + "-" + rand(DIG, 12) + "-" + rand(ALNUM, 24);
    if (kind == "openai-api-key")
      return "OPENAI_API_KEY=sk-proj-" + rand(URLSAFE, 48);
    if (kind == "anthropic-api-key")
      return "export ANTHROPIC_API_KEY=sk-ant-api03-" + rand(URLSAFE, 93) + "AA";
    if (kind == "stripe-key")
      return "stripe.api_key = 'sk_live_" + rand(ALNUM, 24) + "'";
    if (kind == "jwt")
      return "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJ" + rand(URLSAFE, 40) + "." +
             rand(URLSAFE, 43) + "' https://api.example.com/v1/me";
    if (kind == "url-credentials")
      return "DATABASE_URL=postgres://app:" + rand(ALNUM, 12) + "@db.prod.internal:5432/app";
    if (kind == "private-ip")
      return "curl http://10." + std::to_string(below(256)) + "." + std::to_string(below(256)) +
             "." + std::to_string(below(256)) + ":8080/health";
    if (kind == "private-key") {
      std::string s = "-----BEGIN RSA PRIVATE KEY-----\n";
      for (int i = 0; i < 25; ++i)
        s += rand(B64, 64) + "\n";
      return s + "-----END RSA PRIVATE KEY-----";
    }
    return "const MAPS_KEY = \"AIza" + rand(URLSAFE, 35) + "\";";
  }
};

// One secret per ~everyKb of string text (uniform in [0.5, 1.5] x everyKb), inserted at a line
// boundary of a text of at least 64 bytes.
void plant(Corpus &c, uint64_t seed, double everyKb) {
  if (everyKb <= 0)
    return;
  Planter p(seed);
  auto gap = [&] { return static_cast<uint64_t>(everyKb * 1024 * (0.5 + double(p.below(1001)) / 1000)); };
  uint64_t seen = 0, next = gap();
  for (auto &t : c.texts) {
    seen += t.size();
    if (seen < next || t.size() < 64)
      continue;
    std::string kind;
    const std::string line = p.secret(kind);
    const size_t nl = t.find('\n', p.below(t.size() + 1));
    if (nl == std::string::npos)
      t += "\n" + line;
    else
      t.insert(nl + 1, line + "\n");
    ++c.planted[kind];
    next = seen + gap();
  }
}

// ---------------------------------------------------------------------------------------------
// Rules, and the forms an engine without lookaround / branch reset can run

// A pattern for RE2 / Hyperscan / std::regex: the original when it has no lookaround and no
// branch reset, else an adaptation. A leading lookbehind (?<![X]) becomes a consumed context
// (?:^|[^X]); a trailing lookahead (?![X]) becomes the consumed complement (?:[^X]|\z); a branch
// reset (?|..) becomes (?:..) with one group per branch. The match proper is capture group
// `mGroup`; the value to redact is the first set group of `vGroups` (none: the match).
struct Portable {
  std::string pattern;
  int mGroup = 0;
  std::vector<int> vGroups;
  std::string lead;         // adapted lookbehind: chars that may start the match (class body)
  std::string trailKeep;    // adapted lookahead: chars that may end the match (class body)
  size_t maxTrim = 0;       // at most this many consumed trailing context chars (Hyperscan)
  std::string rejectPrefix; // a match starting with this is dropped (stands for (?!ant-))
  bool adapted = false;
  bool ok = true;  // false: no equivalent form, the rule is not run by RE2/Hyperscan/std::regex
  std::string how; // what was changed
};

// Hand-written adaptations for lookarounds the automatic rewrite below cannot express, keyed by
// the exact original pattern: when Rules.cpp changes a pattern, its entry stops applying and the
// rule is reported as not adaptable instead of silently benchmarking an old pattern.
const std::vector<std::pair<std::string, Portable>> &manualAdaptations() {
  static const std::vector<std::pair<std::string, Portable>> a = {
      {R"re(-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?=(?:\\[nr]|\s)*(?:[A-Za-z0-9+/=]{16}|Proc-Type:|Version:|Comment:))[\s\S]*?(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\z))re",
       {R"re(-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|\s)*(?:[A-Za-z0-9+/=]{16}|Proc-Type:|Version:|Comment:)[\s\S]*?(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\z))re",
        0, {}, "", "", 0, "", true, true,
        "lookahead (?=..) inlined (exact: what it checks cannot contain the END line)"}},
      {R"re((?<![A-Za-z0-9_-])sk-(?!ant-)(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,})re",
       {R"re((?:^|[^A-Za-z0-9_-])(sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,}))re", 1,
        {}, "A-Za-z0-9_-", "", 0, "sk-ant-", true, true,
        "lookbehind -> consumed context; (?!ant-) -> matches starting sk-ant- dropped in code"}},
      {R"re((?<![A-Za-z0-9.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:internal|corp|local|lan|intranet))(?![A-Za-z0-9_-]|\.[A-Za-z0-9]|\s*\())re",
       {R"re((?:^|[^A-Za-z0-9.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:internal|corp|local|lan|intranet))(?:\z|[^A-Za-z0-9_.\s(-]|\.(?:\z|[^A-Za-z0-9])|\s+(?:\z|[^\s(])))re",
        1, {1}, "A-Za-z0-9.-", "A-Za-z", 1000, "", true, true,
        "lookbehind and lookahead (?![..]|\\.[..]|\\s*\\() -> consumed context"}},
      {R"re((?<![0-9.])(?:10\.[0-9]{1,3}|172\.(?:1[6-9]|2[0-9]|3[01])|192\.168)\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9]|\.[0-9]))re",
       {R"re((?:^|[^0-9.])((?:10\.[0-9]{1,3}|172\.(?:1[6-9]|2[0-9]|3[01])|192\.168)\.[0-9]{1,3}\.[0-9]{1,3})(?:\z|[^0-9.]|\.(?:\z|[^0-9])))re",
        1, {}, "0-9.", "0-9", 2, "", true, true,
        "lookbehind and lookahead (?![0-9]|\\.[0-9]) -> consumed context"}},
  };
  return a;
}

// The end of the character class opening at s[i] == '[' (index of its ']'), or npos.
size_t classEnd(const std::string &s, size_t i) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '^')
    ++j;
  if (j < s.size() && s[j] == ']')
    ++j;
  for (; j < s.size(); ++j) {
    if (s[j] == '\\')
      ++j;
    else if (s[j] == ']')
      return j;
  }
  return std::string::npos;
}

bool hasLookaround(const std::string &s) {
  for (const char *t : {"(?=", "(?!", "(?<=", "(?<!"})
    if (s.find(t) != std::string::npos)
      return true;
  return false;
}

// Rewrites branch resets as (?:..); returns, per capture group of the result (1-based, in order
// of appearance), its group number in the original.
std::vector<int> flattenBranchReset(std::string &s) {
  std::vector<int> orig{0};
  struct Frame {
    bool reset;
    int start, max;
  };
  std::vector<Frame> stack;
  int next = 1; // next original group number
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      out += s.substr(i, 2);
      ++i;
    } else if (c == '[') {
      const size_t e = classEnd(s, i);
      out += s.substr(i, e - i + 1);
      i = e;
    } else if (c == '(') {
      if (s.compare(i, 3, "(?|") == 0) {
        stack.push_back({true, next, next});
        out += "(?:";
        i += 2;
        continue;
      }
      const bool capturing = i + 1 >= s.size() || s[i + 1] != '?' ||
                             (s.compare(i, 4, "(?P<") == 0) ||
                             (s.compare(i, 3, "(?<") == 0 && s[i + 3] != '=' && s[i + 3] != '!');
      if (capturing)
        orig.push_back(next++);
      stack.push_back({false, 0, 0});
      out += c;
    } else if (c == '|' && !stack.empty() && stack.back().reset) {
      stack.back().max = std::max(stack.back().max, next);
      next = stack.back().start;
      out += c;
    } else if (c == ')' && !stack.empty()) {
      if (stack.back().reset)
        next = std::max(stack.back().max, next);
      stack.pop_back();
      out += c;
    } else {
      out += c;
    }
  }
  s = out;
  return orig;
}

Portable portableFor(const Rule &r) {
  for (const auto &[original, p] : manualAdaptations())
    if (original == r.pattern)
      return p;
  Portable p;
  std::string s = r.pattern;
  std::vector<std::string> how;
  if (s.rfind("(?<![", 0) == 0) {
    const size_t e = classEnd(s, 4);
    if (e != std::string::npos && e + 1 < s.size() && s[e + 1] == ')') {
      p.lead = s.substr(5, e - 5);
      s = s.substr(e + 2);
      how.push_back("leading lookbehind -> consumed context");
    }
  }
  if (s.size() > 6 && s.compare(s.size() - 2, 2, "])") == 0) {
    for (size_t at = s.rfind("(?!["); at != std::string::npos && at > 0;
         at = s.rfind("(?![", at - 1)) {
      if (classEnd(s, at + 3) == s.size() - 2) {
        p.trailKeep = s.substr(at + 4, s.size() - 2 - (at + 4));
        s = s.substr(0, at);
        p.maxTrim = 1;
        how.push_back("trailing lookahead -> consumed context");
        break;
      }
    }
  }
  if (hasLookaround(s)) {
    p.ok = false;
    p.pattern = r.pattern;
    p.how = "no equivalent without lookaround (no hand-written adaptation for this pattern)";
    return p;
  }
  const bool reset = s.find("(?|") != std::string::npos;
  const std::vector<int> orig = flattenBranchReset(s);
  if (reset)
    how.push_back("branch reset (?|..) -> one group per branch, the first set one used");
  const bool wrap = !p.lead.empty() || !p.trailKeep.empty();
  const int shift = wrap ? 1 : 0;
  for (size_t k = 1; k < orig.size(); ++k)
    if (orig[k] == 1)
      p.vGroups.push_back((int)k + shift);
  p.mGroup = wrap ? 1 : 0;
  p.pattern = (p.lead.empty() ? "" : "(?:^|[^" + p.lead + "])") + (wrap ? "(" + s + ")" : s) +
              (p.trailKeep.empty() ? "" : "(?:[^" + p.trailKeep + "]|\\z)");
  p.adapted = !how.empty();
  for (const auto &h : how)
    p.how += (p.how.empty() ? "" : "; ") + h;
  return p;
}

// A 256-entry membership table for a character class body such as "A-Za-z0-9_-".
std::array<bool, 256> classTable(std::string_view cls) {
  std::array<bool, 256> t{};
  for (size_t i = 0; i < cls.size(); ++i) {
    if (cls[i] == '\\' && i + 1 < cls.size()) {
      t[(unsigned char)cls[++i]] = true;
    } else if (i + 2 < cls.size() && cls[i + 1] == '-') {
      for (int c = (unsigned char)cls[i]; c <= (unsigned char)cls[i + 2]; ++c)
        t[c] = true;
      i += 2;
    } else {
      t[(unsigned char)cls[i]] = true;
    }
  }
  return t;
}

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<Portable> portable;
  std::vector<bool> lazyEnd; // [\s\S]*? before the end: the shortest end wins (Hyperscan)
  uint64_t fingerprint = 1469598103934665603ull; // FNV-1a of every field of every rule
  RuleSet() : rules(mantra::redact::builtinRules()) {
    auto mix = [&](std::string_view s) {
      for (unsigned char c : s)
        fingerprint = (fingerprint ^ c) * 1099511628211ull;
      fingerprint = (fingerprint ^ 0xff) * 1099511628211ull;
    };
    for (const auto &r : rules) {
      portable.push_back(portableFor(r));
      lazyEnd.push_back(r.pattern.find("[\\s\\S]*?") != std::string::npos);
      mix(r.id);
      mix(r.pattern);
      mix(r.caseless ? "i" : "-");
      mix(std::to_string((int)r.check));
      mix(std::to_string(r.anchored) + "/" + std::to_string(r.window));
      for (const auto &k : r.keywords) {
        mix(k.text);
        mix(k.caseless ? "i" : "-");
      }
    }
  }
  size_t size() const { return rules.size(); }
};

const RuleSet &ruleSet() {
  static const RuleSet rs;
  return rs;
}

// ---------------------------------------------------------------------------------------------
// Engines

struct Engine {
  virtual ~Engine() = default;
  virtual void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) = 0;
  std::vector<std::string> notes;
};

// PCRE2, compiled like Redactor::Impl::add: byte mode for the built-in rules (Mantra since commit
// 053f875), or with `utf` as before it (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, no UTF check).
struct Pcre {
  std::vector<pcre2_code *> code;
  pcre2_match_data *md = nullptr;
  uint32_t matchOpts = 0;
  explicit Pcre(bool jit, bool utf = false) {
    matchOpts = utf ? PCRE2_NO_UTF_CHECK : 0u;
    for (const auto &r : ruleSet().rules) {
      int err = 0;
      PCRE2_SIZE off = 0;
      uint32_t opts = utf ? PCRE2_UTF | PCRE2_NO_UTF_CHECK | PCRE2_MATCH_INVALID_UTF : 0u;
      if (r.caseless)
        opts |= PCRE2_CASELESS;
      pcre2_code *c =
          pcre2_compile((PCRE2_SPTR)r.pattern.c_str(), r.pattern.size(), opts, &err, &off, nullptr);
      if (!c)
        die("PCRE2 cannot compile rule " + r.id);
      if (jit && pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) != 0)
        die("PCRE2 JIT failed for rule " + r.id);
      code.push_back(c);
    }
    md = pcre2_match_data_create(16, nullptr);
  }
  ~Pcre() {
    for (auto *c : code)
      pcre2_code_free(c);
    pcre2_match_data_free(md);
  }
  // One match attempt at `at` (PCRE2_ANCHORED or 0); where it ended, or npos.
  // `limit`: the subject ends there (Redactor's window for anchored tries).
  size_t at(size_t ri, const std::string &t, uint32_t idx, size_t from, uint32_t opts,
            std::vector<Hit> &out, size_t limit = std::string::npos) const {
    const int rc = pcre2_match(code[ri], (PCRE2_SPTR)t.data(), std::min(limit, t.size()), from,
                               opts | matchOpts, md, nullptr);
    if (rc < 0)
      return std::string::npos;
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    Hit h{idx, (uint16_t)ri, (uint32_t)ov[0], (uint32_t)ov[1], (uint32_t)ov[0], (uint32_t)ov[1]};
    if (rc >= 2 && ov[2] != PCRE2_UNSET) {
      h.vs = (uint32_t)ov[2];
      h.ve = (uint32_t)ov[3];
    }
    out.push_back(h);
    return ov[1] > ov[0] ? ov[1] : ov[0] + 1;
  }
  // The loop of Redactor::find for one rule.
  void rule(size_t ri, const std::string &t, uint32_t idx, std::vector<Hit> &out) const {
    const auto *s = (PCRE2_SPTR)t.data();
    PCRE2_SIZE at = 0;
    while (at <= t.size()) {
      const int rc = pcre2_match(code[ri], s, t.size(), at, matchOpts, md, nullptr);
      if (rc < 0)
        break;
      const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
      Hit h{idx, (uint16_t)ri, (uint32_t)ov[0], (uint32_t)ov[1], (uint32_t)ov[0], (uint32_t)ov[1]};
      if (rc >= 2 && ov[2] != PCRE2_UNSET) {
        h.vs = (uint32_t)ov[2];
        h.ve = (uint32_t)ov[3];
      }
      out.push_back(h);
      at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
  }
};

// (1) every rule on every text.
struct PcreAll : Engine {
  Pcre p;
  explicit PcreAll(bool jit, bool utf = false) : p(jit, utf) {}
  void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) override {
    for (size_t i = 0; i < p.code.size(); ++i)
      p.rule(i, t, idx, out);
  }
};

// (2) a rule runs only when one of its keywords occurs: memmem per keyword; caseless keywords
// are searched in a lower-cased copy of the text (made once per text).
struct PcreNaive : Engine {
  Pcre p;
  std::vector<std::vector<std::pair<std::string, bool>>> kws; // lower-cased when caseless
  bool anyCaseless = false;
  std::string lower;
  PcreNaive() : p(true) {
    for (const auto &r : ruleSet().rules) {
      kws.emplace_back();
      for (const auto &k : r.keywords) {
        std::string w = k.text;
        if (k.caseless)
          for (auto &c : w)
            c = (char)std::tolower((unsigned char)c);
        kws.back().push_back({w, k.caseless});
        anyCaseless = anyCaseless || k.caseless;
      }
    }
  }
  void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) override {
    if (anyCaseless) {
      lower.resize(t.size());
      for (size_t i = 0; i < t.size(); ++i) {
        const unsigned char c = (unsigned char)t[i];
        lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
      }
    }
    for (size_t i = 0; i < kws.size(); ++i) {
      bool on = kws[i].empty();
      for (const auto &[w, caseless] : kws[i]) {
        const std::string &hay = caseless ? lower : t;
        if (memmem(hay.data(), hay.size(), w.data(), w.size())) {
          on = true;
          break;
        }
      }
      if (on)
        p.rule(i, t, idx, out);
    }
  }
};

// The keyword prefilter of Redactor::Impl: one Hyperscan literal database, SINGLEMATCH per
// keyword, a flag per rule.
//
// With `positions` (Redactor since commit 4db9fea): keywords of rules marked `anchored` report
// every hit, and candidates() also returns (hit start, rule) for them.
struct HsLiterals {
  hs_database_t *db = nullptr;
  hs_scratch_t *scratch = nullptr;
  std::vector<unsigned> keywordRule;
  std::vector<size_t> keywordLen;
  std::vector<char> always, anchored;
  explicit HsLiterals(int skipRule = -1, bool positions = false) {
    std::vector<const char *> exprs;
    std::vector<size_t> lens;
    std::vector<unsigned> flags, ids;
    const auto &rules = ruleSet().rules;
    for (size_t r = 0; r < rules.size(); ++r) {
      always.push_back(rules[r].keywords.empty());
      anchored.push_back(positions && rules[r].anchored && !rules[r].keywords.empty());
      if ((int)r == skipRule)
        continue;
      for (const auto &k : rules[r].keywords) {
        exprs.push_back(k.text.c_str());
        lens.push_back(k.text.size());
        keywordLen.push_back(k.text.size());
        flags.push_back((anchored[r] ? 0u : HS_FLAG_SINGLEMATCH) |
                        (k.caseless ? HS_FLAG_CASELESS : 0u));
        ids.push_back((unsigned)keywordRule.size());
        keywordRule.push_back((unsigned)r);
      }
    }
    hs_compile_error_t *cerr = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                             (unsigned)exprs.size(), HS_MODE_BLOCK, nullptr, &db,
                             &cerr) != HS_SUCCESS)
      die(std::string("hs literal prefilter: ") + (cerr ? cerr->message : "?"));
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
      die("hs scratch");
  }
  ~HsLiterals() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
  void candidates(const std::string &t, std::vector<char> &on,
                  std::vector<std::pair<size_t, unsigned>> *hits = nullptr) const {
    on = always;
    if (hits)
      hits->clear();
    struct Ctx {
      const HsLiterals *self;
      std::vector<char> *on;
      std::vector<std::pair<size_t, unsigned>> *hits;
    } ctx{this, &on, hits};
    auto cb = [](unsigned id, unsigned long long, unsigned long long to, unsigned,
                 void *p) -> int {
      auto *c = static_cast<Ctx *>(p);
      const unsigned r = c->self->keywordRule[id];
      (*c->on)[r] = 1;
      if (c->hits && c->self->anchored[r])
        c->hits->emplace_back((size_t)to - c->self->keywordLen[id], r);
      return 0;
    };
    hs_scan(db, t.data(), (unsigned)t.size(), 0, scratch, cb, &ctx);
    if (hits)
      std::sort(hits->begin(), hits->end());
  }
};

// (3e) Mantra's scheme since commits 4db9fea/35b8c94, re-implemented: rules marked `anchored`
// are tried with PCRE2_ANCHORED only where one of their keywords starts (hits inside the previous
// match skipped), on a subject cut `window` bytes past the hit; the other candidate rules run
// over the whole text as in (3).
struct HsAnchoredPcre : Engine {
  HsLiterals lit{-1, true};
  Pcre p{true};
  std::vector<char> on;
  std::vector<std::pair<size_t, unsigned>> hits;
  std::vector<size_t> doneUpTo;
  HsAnchoredPcre() {
    std::string a;
    for (size_t i = 0; i < ruleSet().size(); ++i)
      if (!lit.anchored[i])
        a += (a.empty() ? "" : ", ") + ruleSet().rules[i].id;
    notes.push_back("(3e) rules not anchored (whole-text search): " + a);
  }
  void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) override {
    lit.candidates(t, on, &hits);
    doneUpTo.assign(on.size(), 0);
    for (const auto &[start, r] : hits) {
      if (start < doneUpTo[r])
        continue;
      const size_t w = ruleSet().rules[r].window;
      const size_t end =
          p.at(r, t, idx, start, PCRE2_ANCHORED, out, w ? start + w : std::string::npos);
      if (end != std::string::npos)
        doneUpTo[r] = end;
    }
    for (size_t i = 0; i < on.size(); ++i)
      if (on[i] && !lit.anchored[i])
        p.rule(i, t, idx, out);
  }
};

// (3) Mantra's scheme, re-implemented: Hyperscan literals pick the rules, PCRE2 runs them.
struct HsPcre : Engine {
  HsLiterals lit;
  Pcre p;
  std::vector<char> on;
  explicit HsPcre(bool jit, bool utf = false) : p(jit, utf) {}
  void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) override {
    lit.candidates(t, on);
    for (size_t i = 0; i < on.size(); ++i)
      if (on[i])
        p.rule(i, t, idx, out);
  }
};

// {m,n} with a wide range becomes {m,}: a superset, so still a valid prefilter, and Hyperscan
// compiles it in milliseconds instead of seconds (bounded repeats of classes in UTF-8 mode).
std::string relaxRepeats(const std::string &s, int &changed) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      out += s.substr(i, 2);
      ++i;
    } else if (c == '[') {
      const size_t e = classEnd(s, i);
      out += s.substr(i, e - i + 1);
      i = e;
    } else if (c == '{') {
      size_t j = i + 1, m = 0, n = 0;
      bool ok = j < s.size() && std::isdigit((unsigned char)s[j]);
      while (j < s.size() && std::isdigit((unsigned char)s[j]))
        m = m * 10 + size_t(s[j++] - '0');
      ok = ok && j < s.size() && s[j] == ',';
      ++j;
      const size_t nStart = j;
      while (j < s.size() && std::isdigit((unsigned char)s[j]))
        n = n * 10 + size_t(s[j++] - '0');
      ok = ok && j > nStart && j < s.size() && s[j] == '}';
      if (ok && n >= m + 16) {
        out += "{" + std::to_string(m) + ",}";
        i = j;
        ++changed;
      } else {
        out += c;
      }
    } else {
      out += c;
    }
  }
  return out;
}

// (3c) Hyperscan as an exact-ish filter instead of keywords: every rule's own pattern in
// prefilter mode (HS_FLAG_PREFILTER: a superset where a construct is unsupported;
// SINGLEMATCH; UTF8, as PCRE2 runs in UTF mode), the adaptation when Hyperscan refuses the
// original, the rule's keywords when it refuses both; wide bounded repeats relaxed (above); then
// PCRE2-JIT runs the rules that matched. (3d) is the same without HS_FLAG_UTF8: Hyperscan then
// needs no valid UTF-8 (Mantra's texts may not be: PCRE2_MATCH_INVALID_UTF). Byte mode is a
// superset of UTF mode for the current rules only because every class is ASCII and every negated
// class is either repeated without an upper bound (after relaxing) or at an edge of the pattern
// (a non-ASCII character is bytes >= 0x80: outside every positive class, inside every negated
// one); `a[^X]b` would not be. The identical findings of 3c and 3d are the check.
struct HsFilterPcre : Engine {
  hs_database_t *db = nullptr;
  hs_scratch_t *scratch = nullptr;
  std::vector<unsigned> idRule;
  std::vector<char> always, on;
  Pcre p;
  explicit HsFilterPcre(bool utf8) : p(true) {
    const auto &rs = ruleSet();
    std::vector<std::string> pats;
    std::vector<unsigned> flags;
    std::vector<std::pair<double, std::string>> slow; // compile time per rule
    size_t current = 0;
    auto accepts = [&](const std::string &pat, unsigned f) {
      hs_database_t *d = nullptr;
      hs_compile_error_t *ce = nullptr;
      const auto t0 = Clock::now();
      const bool ok = hs_compile(pat.c_str(), f, HS_MODE_BLOCK, nullptr, &d, &ce) == HS_SUCCESS;
      slow.push_back({seconds(t0, Clock::now()), rs.rules[current].id});
      if (ok)
        hs_free_database(d);
      else
        hs_free_compile_error(ce);
      return ok;
    };
    auto escape = [](const std::string &s) {
      std::string o;
      for (char c : s) {
        if (!std::isalnum((unsigned char)c))
          o += '\\';
        o += c;
      }
      return o;
    };
    always.assign(rs.size(), 0);
    int orig = 0, adapted = 0, kw = 0, relaxed = 0;
    std::string kwRules;
    for (size_t i = 0; i < rs.size(); ++i) {
      current = i;
      const unsigned f = HS_FLAG_SINGLEMATCH | HS_FLAG_PREFILTER | (utf8 ? HS_FLAG_UTF8 : 0u) |
                         (rs.rules[i].caseless ? HS_FLAG_CASELESS : 0u);
      int n1 = 0, n2 = 0;
      const std::string original = relaxRepeats(rs.rules[i].pattern, n1);
      const std::string adaptation =
          rs.portable[i].ok && rs.portable[i].adapted ? relaxRepeats(rs.portable[i].pattern, n2)
                                                      : std::string();
      if (accepts(original, f)) {
        pats.push_back(original);
        flags.push_back(f);
        idRule.push_back((unsigned)i);
        ++orig;
        relaxed += n1;
      } else if (!adaptation.empty() && accepts(adaptation, f)) {
        pats.push_back(adaptation);
        flags.push_back(f);
        idRule.push_back((unsigned)i);
        ++adapted;
        relaxed += n2;
      } else if (!rs.rules[i].keywords.empty()) {
        for (const auto &k : rs.rules[i].keywords) {
          pats.push_back(escape(k.text));
          flags.push_back(HS_FLAG_SINGLEMATCH | (k.caseless ? HS_FLAG_CASELESS : 0u));
          idRule.push_back((unsigned)i);
        }
        ++kw;
        kwRules += " " + rs.rules[i].id;
      } else {
        always[i] = 1;
      }
    }
    std::vector<const char *> exprs;
    std::vector<unsigned> ids;
    for (size_t k = 0; k < pats.size(); ++k) {
      exprs.push_back(pats[k].c_str());
      ids.push_back((unsigned)k);
    }
    hs_compile_error_t *ce = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), (unsigned)exprs.size(),
                         HS_MODE_BLOCK, nullptr, &db, &ce) != HS_SUCCESS)
      die(std::string("hs filter database: ") + (ce ? ce->message : "?"));
    hs_alloc_scratch(db, &scratch);
    size_t sz = 0;
    hs_database_size(db, &sz);
    const std::string tag = utf8 ? "(3c, UTF-8 mode)" : "(3d, byte mode)";
    notes.push_back("Hyperscan pattern filter " + tag + ": " + std::to_string(orig) + " rules as written (" +
                    "prefilter mode), " + std::to_string(adapted) + " adapted, " +
                    std::to_string(kw) + " by keywords" + (kw ? " (" + kwRules.substr(1) + ")" : "") +
                    "; " + std::to_string(relaxed) + " wide {m,n} repeats relaxed to {m,}" +
                    "; database " + std::to_string(sz / 1024) + " KiB");
    std::sort(slow.rbegin(), slow.rend());
    std::string top;
    for (size_t k = 0; k < slow.size() && k < 4; ++k)
      top += (k ? ", " : "") + slow[k].second + " " + fmt("%.0f", slow[k].first * 1e3) + " ms";
    notes.push_back("Hyperscan pattern filter " + tag + ": slowest single-rule compiles: " + top);
  }
  ~HsFilterPcre() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
  void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) override {
    on = always;
    struct Ctx {
      HsFilterPcre *self;
    } ctx{this};
    auto cb = [](unsigned id, unsigned long long, unsigned long long, unsigned, void *q) -> int {
      auto *s = static_cast<Ctx *>(q)->self;
      s->on[s->idRule[id]] = 1;
      return 0;
    };
    hs_scan(db, t.data(), (unsigned)t.size(), 0, scratch, cb, &ctx);
    for (size_t i = 0; i < on.size(); ++i)
      if (on[i])
        p.rule(i, t, idx, out);
  }
};

// The prefilter alone (a component of (3), for the breakdown): no findings.
struct HsLiteralsOnly : Engine {
  HsLiterals lit;
  std::vector<char> on;
  uint64_t candidates = 0;
  void scan(const std::string &t, uint32_t, std::vector<Hit> &) override {
    lit.candidates(t, on);
    for (char c : on)
      candidates += c;
  }
};

// (3b) the shipped code: mantra::Redactor::find (checks and overlap merge included).
struct MantraEngine : Engine {
  mantra::Redactor red;
  std::unordered_map<std::string, uint16_t> ruleIndex;
  MantraEngine() {
    for (size_t i = 0; i < ruleSet().size(); ++i)
      ruleIndex.emplace(ruleSet().rules[i].id, (uint16_t)i);
  }
  void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) override {
    for (const auto &f : red.find(t)) {
      auto it = ruleIndex.find(f.rule);
      const uint16_t r = it == ruleIndex.end() ? 0xffff : it->second;
      out.push_back({idx, r, (uint32_t)f.start, (uint32_t)(f.start + f.length), (uint32_t)f.start,
                     (uint32_t)(f.start + f.length)});
    }
  }
};

std::string re2Pattern(const Rule &r, const std::string &pattern) {
  return r.caseless ? "(?i)" + pattern : pattern;
}

// (4) RE2: an RE2::Set of every pattern tells which rules match; each of those then runs as an
// RE2 for positions (and the value group).
struct Re2Engine : Engine {
  struct One {
    std::unique_ptr<RE2> re;
    const Portable *port = nullptr;
    int ngroups = 0;
  };
  std::vector<One> rules;
  std::unique_ptr<RE2::Set> set;
  std::vector<size_t> setRule;
  std::vector<int> matched;
  std::vector<re2::StringPiece> sub;
  uint64_t setErrors = 0;
  bool setOnly;
  explicit Re2Engine(bool setOnly_ = false) : setOnly(setOnly_) {
    RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(256 << 20);
    set = std::make_unique<RE2::Set>(o, RE2::UNANCHORED);
    const auto &rs = ruleSet();
    for (size_t i = 0; i < rs.size(); ++i) {
      One one;
      // The original first; the adaptation only when RE2 refuses it.
      auto re = std::make_unique<RE2>(re2Pattern(rs.rules[i], rs.rules[i].pattern), o);
      if (!re->ok()) {
        const std::string why = re->error();
        if (!rs.portable[i].ok || !rs.portable[i].adapted) {
          notes.push_back("RE2 rejects " + rs.rules[i].id + " (" + why + "), " +
                          rs.portable[i].how + ": rule NOT run");
          rules.push_back(std::move(one));
          continue;
        }
        re = std::make_unique<RE2>(re2Pattern(rs.rules[i], rs.portable[i].pattern), o);
        if (!re->ok()) {
          notes.push_back("RE2 rejects " + rs.rules[i].id + " even adapted (" + re->error() +
                          "): rule NOT run");
          rules.push_back(std::move(one));
          continue;
        }
        one.port = &rs.portable[i];
        notes.push_back("RE2 rejects " + rs.rules[i].id + " (" + why + "); adapted: " +
                        rs.portable[i].how);
      }
      one.ngroups = re->NumberOfCapturingGroups();
      std::string err;
      const int si = set->Add(re->pattern(), &err);
      if (si < 0)
        notes.push_back("RE2::Set rejects " + rs.rules[i].id + ": " + err);
      else
        setRule.push_back(i);
      one.re = std::move(re);
      rules.push_back(std::move(one));
    }
    if (!set->Compile())
      die("RE2::Set compile failed (out of memory?)");
    sub.resize(16);
  }
  void rule(size_t ri, const std::string &t, uint32_t idx, std::vector<Hit> &out) {
    const One &one = rules[ri];
    const re2::StringPiece text(t);
    const int n = one.ngroups + 1;
    const int mg = one.port ? one.port->mGroup : 0;
    size_t pos = 0;
    while (pos <= t.size()) {
      if (!one.re->Match(text, pos, t.size(), RE2::UNANCHORED, sub.data(), n))
        break;
      const re2::StringPiece m = sub[mg];
      const uint32_t ms = (uint32_t)(m.data() - t.data()), me = ms + (uint32_t)m.size();
      Hit h{idx, (uint16_t)ri, ms, me, ms, me};
      if (one.port) {
        for (int g : one.port->vGroups)
          if (sub[g].data()) {
            h.vs = (uint32_t)(sub[g].data() - t.data());
            h.ve = h.vs + (uint32_t)sub[g].size();
            break;
          }
      } else if (n >= 2 && sub[1].data()) {
        h.vs = (uint32_t)(sub[1].data() - t.data());
        h.ve = h.vs + (uint32_t)sub[1].size();
      }
      const bool rejected =
          one.port && !one.port->rejectPrefix.empty() &&
          std::string_view(t).substr(ms).starts_with(one.port->rejectPrefix);
      if (!rejected)
        out.push_back(h);
      const size_t whole0 = (size_t)(sub[0].data() - t.data());
      pos = me > whole0 ? me : whole0 + 1;
    }
  }
  void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) override {
    matched.clear();
    RE2::Set::ErrorInfo ei{};
    if (!set->Match(t, &matched, &ei) && ei.kind != RE2::Set::kNoError) {
      ++setErrors; // fall back to every rule
      matched.clear();
      for (size_t i = 0; i < setRule.size(); ++i)
        matched.push_back((int)i);
    }
    if (setOnly)
      return;
    for (int si : matched)
      rule(setRule[(size_t)si], t, idx, out);
  }
};

// (5) Hyperscan alone: every pattern it accepts (the adaptation when it refuses the original),
// HS_FLAG_SOM_LEFTMOST. Hyperscan reports every end offset, each with its leftmost start; the
// PCRE2 iteration is emulated per rule: the leftmost start wins, with its longest end (its
// shortest for the lazy private-key pattern), then matches starting before that end are dropped.
struct HsSom : Engine {
  hs_database_t *db = nullptr;
  hs_scratch_t *scratch = nullptr;
  std::vector<unsigned> idRule;
  std::vector<const Portable *> port; // per rule: adaptation in use, or null
  std::vector<std::array<bool, 256>> leadT, trailT;
  struct M {
    unsigned rule;
    unsigned long long from, to;
  };
  std::vector<M> ms;
  HsSom() {
    const auto &rs = ruleSet();
    std::vector<std::string> pats;
    std::vector<unsigned> flags;
    port.assign(rs.size(), nullptr);
    leadT.resize(rs.size());
    trailT.resize(rs.size());
    auto tryCompile = [](const std::string &p, unsigned f, std::string &err) {
      hs_database_t *d = nullptr;
      hs_compile_error_t *ce = nullptr;
      if (hs_compile(p.c_str(), f, HS_MODE_BLOCK, nullptr, &d, &ce) == HS_SUCCESS) {
        hs_free_database(d);
        return true;
      }
      err = ce && ce->message ? ce->message : "?";
      hs_free_compile_error(ce);
      return false;
    };
    for (size_t i = 0; i < rs.size(); ++i) {
      const unsigned f = HS_FLAG_SOM_LEFTMOST | (rs.rules[i].caseless ? HS_FLAG_CASELESS : 0u);
      std::string err, err2;
      if (tryCompile(rs.rules[i].pattern, f, err)) {
        pats.push_back(rs.rules[i].pattern);
      } else if (rs.portable[i].ok && rs.portable[i].adapted &&
                 tryCompile(rs.portable[i].pattern, f, err2)) {
        pats.push_back(rs.portable[i].pattern);
        port[i] = &rs.portable[i];
        leadT[i] = classTable(port[i]->lead);
        trailT[i] = classTable(port[i]->trailKeep);
        notes.push_back("Hyperscan rejects " + rs.rules[i].id + " (" + err + "); adapted: " +
                        rs.portable[i].how);
      } else {
        const std::string &alt = rs.portable[i].ok && rs.portable[i].adapted
                                     ? rs.portable[i].pattern
                                     : rs.rules[i].pattern;
        std::string err3;
        const bool noSom = tryCompile(alt, f & ~(unsigned)HS_FLAG_SOM_LEFTMOST, err3);
        notes.push_back("Hyperscan rejects " + rs.rules[i].id + " (" + err + ")" +
                        (rs.portable[i].ok && rs.portable[i].adapted
                             ? " and its adaptation (" + err2 + ")"
                             : rs.portable[i].how.empty() ? "" : ", " + rs.portable[i].how) +
                        ": rule NOT run" +
                        (noSom ? " [accepted without SOM_LEFTMOST]" : " [rejected without SOM too]"));
        continue;
      }
      flags.push_back(f);
      idRule.push_back((unsigned)i);
    }
    std::vector<const char *> exprs;
    std::vector<unsigned> ids;
    for (size_t k = 0; k < pats.size(); ++k) {
      exprs.push_back(pats[k].c_str());
      ids.push_back((unsigned)k);
    }
    hs_compile_error_t *ce = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), (unsigned)exprs.size(),
                         HS_MODE_BLOCK, nullptr, &db, &ce) != HS_SUCCESS)
      die(std::string("hs SOM database: ") + (ce ? ce->message : "?"));
    hs_alloc_scratch(db, &scratch);
    size_t sz = 0;
    hs_database_size(db, &sz);
    notes.push_back("Hyperscan SOM database: " + std::to_string(exprs.size()) + " patterns, " +
                    std::to_string(sz / 1024) + " KiB");
  }
  ~HsSom() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
  void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) override {
    ms.clear();
    struct Ctx {
      HsSom *self;
    } ctx{this};
    auto cb = [](unsigned id, unsigned long long from, unsigned long long to, unsigned,
                 void *p) -> int {
      auto *s = static_cast<Ctx *>(p)->self;
      s->ms.push_back({s->idRule[id], from, to});
      return 0;
    };
    hs_scan(db, t.data(), (unsigned)t.size(), 0, scratch, cb, &ctx);
    if (ms.empty())
      return;
    const auto &rs = ruleSet();
    // Trim the context characters an adapted pattern consumed.
    for (auto &m : ms) {
      const Portable *p = port[m.rule];
      if (!p)
        continue;
      if (!p->lead.empty() && m.from < m.to && !leadT[m.rule][(unsigned char)t[m.from]])
        ++m.from;
      for (size_t n = 0; n < p->maxTrim && m.to > m.from &&
                         !trailT[m.rule][(unsigned char)t[m.to - 1]];
           ++n)
        --m.to;
    }
    std::sort(ms.begin(), ms.end(), [](const M &a, const M &b) {
      return std::tie(a.rule, a.from, a.to) < std::tie(b.rule, b.from, b.to);
    });
    size_t i = 0;
    while (i < ms.size()) {
      const unsigned r = ms[i].rule;
      unsigned long long end = 0;
      bool first = true;
      while (i < ms.size() && ms[i].rule == r) {
        size_t j = i;
        while (j < ms.size() && ms[j].rule == r && ms[j].from == ms[i].from)
          ++j;
        if (first || ms[i].from >= end) {
          const auto from = ms[i].from;
          const auto to = rs.lazyEnd[r] ? ms[i].to : ms[j - 1].to;
          const Portable *p = port[r];
          if (!(p && !p->rejectPrefix.empty() &&
                std::string_view(t).substr(from).starts_with(p->rejectPrefix))) {
            out.push_back({idx, (uint16_t)r, (uint32_t)from, (uint32_t)to, (uint32_t)from,
                           (uint32_t)to});
            end = to;
            first = false;
          }
        }
        i = j;
      }
    }
  }
};

// (6) std::regex (ECMAScript). It has no lookbehind, no (?i:..), no \z: the RE2 forms are used,
// (?i:..) becomes a whole-pattern icase (an over-approximation), \z becomes $.
struct StdRegex : Engine {
  std::vector<std::optional<std::regex>> re;
  std::vector<const Portable *> port;
  std::unique_ptr<HsLiterals> lit;
  std::vector<char> on;
  explicit StdRegex(bool prefilter) {
    if (prefilter)
      lit = std::make_unique<HsLiterals>();
    const auto &rs = ruleSet();
    for (size_t i = 0; i < rs.size(); ++i) {
      const Portable &p = rs.portable[i];
      if (!p.ok) {
        re.emplace_back(std::nullopt);
        port.push_back(nullptr);
        notes.push_back("std::regex: " + rs.rules[i].id + " " + p.how + ": rule NOT run");
        continue;
      }
      std::string s = p.pattern;
      bool icase = rs.rules[i].caseless;
      for (size_t at; (at = s.find("(?i:")) != std::string::npos;) {
        s.replace(at, 4, "(?:");
        icase = true;
      }
      for (size_t at; (at = s.find("\\z")) != std::string::npos;)
        s.replace(at, 2, "$");
      auto f = std::regex::ECMAScript | std::regex::optimize;
      if (icase)
        f |= std::regex::icase;
      try {
        re.emplace_back(std::regex(s, f));
        port.push_back(&p);
        if (icase && !rs.rules[i].caseless)
          notes.push_back("std::regex: " + rs.rules[i].id + " compiled wholly case-insensitive");
      } catch (const std::regex_error &e) {
        re.emplace_back(std::nullopt);
        port.push_back(nullptr);
        notes.push_back("std::regex rejects " + rs.rules[i].id + ": " + e.what());
      }
    }
  }
  void rule(size_t ri, const std::string &t, uint32_t idx, std::vector<Hit> &out) {
    if (!re[ri])
      return;
    const Portable &p = *port[ri];
    std::smatch m;
    size_t pos = 0;
    while (pos <= t.size()) {
      auto flags = pos ? std::regex_constants::match_prev_avail : std::regex_constants::match_default;
      if (!std::regex_search(t.begin() + (long)pos, t.end(), m, *re[ri], flags))
        break;
      const size_t ms = pos + (size_t)m.position(p.mGroup), me = ms + (size_t)m.length(p.mGroup);
      Hit h{idx, (uint16_t)ri, (uint32_t)ms, (uint32_t)me, (uint32_t)ms, (uint32_t)me};
      for (int g : p.vGroups)
        if (m[g].matched) {
          h.vs = (uint32_t)(pos + (size_t)m.position(g));
          h.ve = h.vs + (uint32_t)m.length(g);
          break;
        }
      if (p.rejectPrefix.empty() || !std::string_view(t).substr(ms).starts_with(p.rejectPrefix))
        out.push_back(h);
      const size_t whole0 = pos + (size_t)m.position(0);
      pos = me > whole0 ? me : whole0 + 1;
    }
  }
  void scan(const std::string &t, uint32_t idx, std::vector<Hit> &out) override {
    if (lit)
      lit->candidates(t, on);
    for (size_t i = 0; i < re.size(); ++i)
      if (!lit || on[i])
        rule(i, t, idx, out);
  }
};

// ---------------------------------------------------------------------------------------------
// Measurement

double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

long statusKb(const char *key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':')
      return std::stol(line.substr(n + 1));
  return -1;
}

// Runs `f` in a forked child (own address space: peak memory per engine, a crash is contained).
json inChild(const std::function<json()> &f) {
  int fds[2];
  if (pipe(fds) != 0)
    die("pipe");
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    close(fds[0]);
    { std::ofstream("/proc/self/clear_refs") << "5"; } // reset VmHWM to the current RSS
    const long base = statusKb("VmRSS");
    json r;
    try {
      r = f();
    } catch (const std::exception &e) {
      r = json{{"error", e.what()}};
    }
    r["extraPeakKb"] = statusKb("VmHWM") - base;
    const std::string s = r.dump();
    size_t at = 0;
    while (at < s.size()) {
      const ssize_t w = write(fds[1], s.data() + at, s.size() - at);
      if (w <= 0)
        break;
      at += (size_t)w;
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string s;
  char buf[65536];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    s.append(buf, (size_t)n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || s.empty())
    return json{{"error", "child died (status " + std::to_string(status) + ")"}};
  return json::parse(s);
}

std::vector<Key> keysOf(const std::vector<Hit> &hits) {
  std::vector<Key> k;
  k.reserve(hits.size());
  for (const auto &h : hits)
    k.emplace_back(h.text, h.rule, h.ms);
  std::sort(k.begin(), k.end());
  k.erase(std::unique(k.begin(), k.end()), k.end());
  return k;
}

struct Bench {
  const Corpus &corpus;
  int runs;
  std::vector<Hit> refHits; // PCRE2-JIT, every rule: the reference findings
  std::vector<Key> ref;

  // Number of texts (a prefix of the corpus) whose bytes add up to at least `limitBytes`.
  size_t prefixFor(uint64_t limitBytes) const {
    uint64_t b = 0;
    size_t n = 0;
    while (n < corpus.texts.size() && b < limitBytes)
      b += corpus.texts[n++].size();
    return n;
  }

  json measure(const std::string &name, const std::function<std::unique_ptr<Engine>()> &make,
               size_t ntexts, bool compare = true, bool valueSpans = false) {
    return inChild([&]() -> json {
      const auto c0 = Clock::now();
      std::unique_ptr<Engine> e = make();
      const double compileMs = seconds(c0, Clock::now()) * 1e3;
      uint64_t bytes = 0;
      for (size_t i = 0; i < ntexts; ++i)
        bytes += corpus.texts[i].size();
      std::vector<Hit> hits;
      std::vector<double> secs, cpu;
      for (int r = 0; r < runs; ++r) {
        hits.clear();
        const double c0 = cpuSeconds();
        const auto t0 = Clock::now();
        for (size_t i = 0; i < ntexts; ++i)
          if (corpus.texts[i].size() >= kMinText)
            e->scan(corpus.texts[i], (uint32_t)i, hits);
        secs.push_back(seconds(t0, Clock::now()));
        cpu.push_back(cpuSeconds() - c0);
      }
      auto sorted = secs;
      std::sort(sorted.begin(), sorted.end());
      const double med = sorted[sorted.size() / 2];
      auto sortedCpu = cpu;
      std::sort(sortedCpu.begin(), sortedCpu.end());
      const double medCpu = sortedCpu[sortedCpu.size() / 2];
      json j{{"name", name},          {"compileMs", compileMs}, {"secs", secs},
             {"median", med},         {"bytes", bytes},         {"texts", ntexts},
             {"mbps", double(bytes) / med / 1e6}, {"notes", e->notes},
             {"cpu", cpu}, {"mbpsCpu", double(bytes) / medCpu / 1e6}};
      if (compare) {
        std::vector<uint64_t> perRule(ruleSet().size(), 0);
        for (const auto &h : hits)
          if (h.rule < perRule.size())
            ++perRule[h.rule];
        const auto mine = keysOf(hits);
        std::vector<Key> refPart;
        for (const auto &k : ref)
          if (std::get<0>(k) < ntexts)
            refPart.push_back(k);
        std::vector<Key> common;
        std::set_intersection(mine.begin(), mine.end(), refPart.begin(), refPart.end(),
                              std::back_inserter(common));
        // Exact spans among the common starts.
        std::map<Key, uint32_t> refEnd;
        for (const auto &h : refHits)
          if (h.text < ntexts)
            refEnd[{h.text, h.rule, h.ms}] = h.me;
        uint64_t same = 0;
        for (const auto &h : hits) {
          auto it = refEnd.find({h.text, h.rule, h.ms});
          same += it != refEnd.end() && it->second == h.me;
        }
        // A few examples of disagreements, per rule (positions only, never the text).
        json onlyHere = json::object(), onlyRef = json::object();
        std::vector<Key> a, b;
        std::set_difference(mine.begin(), mine.end(), refPart.begin(), refPart.end(),
                            std::back_inserter(a));
        std::set_difference(refPart.begin(), refPart.end(), mine.begin(), mine.end(),
                            std::back_inserter(b));
        auto tally = [](const std::vector<Key> &v, json &o) {
          for (const auto &k : v) {
            const uint16_t r = std::get<1>(k);
            const std::string id = r < ruleSet().size() ? ruleSet().rules[r].id : "?";
            o[id] = o.value(id, 0) + 1;
          }
        };
        tally(a, onlyHere);
        tally(b, onlyRef);
        if (std::getenv("ENGINES_DEBUG") && !valueSpans) { // a few disagreements, with the text around them
          auto show = [&](const std::vector<Key> &v, const char *what) {
            std::map<uint16_t, int> shown;
            for (const auto &k : v) {
              if (shown[std::get<1>(k)]++ >= std::max(3, std::atoi(std::getenv("ENGINES_DEBUG"))))
                continue;
              const std::string &t = corpus.texts[std::get<0>(k)];
              const size_t at = std::get<2>(k), from = at > 40 ? at - 40 : 0;
              json ex = t.substr(from, 100);
              std::cerr << "[" << name << "] " << what << " "
                        << ruleSet().rules[std::get<1>(k)].id << " text " << std::get<0>(k)
                        << " @" << at << " (+" << (at - from)
                        << "): " << ex.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
            }
          };
          show(a, "only-here");
          show(b, "only-ref");
        }
        j["findings"] = hits.size();
        j["perRule"] = perRule;
        j["common"] = common.size();
        j["onlyHere"] = a.size();
        j["onlyRef"] = b.size();
        j["onlyHereByRule"] = onlyHere;
        j["onlyRefByRule"] = onlyRef;
        j["sameSpan"] = same;
        j["refInSample"] = refPart.size();
      }
      return j;
    });
  }

  // Where the time goes: each rule alone over the corpus (PCRE2-JIT, no prefilter), and under
  // the Hyperscan prefilter how many texts/bytes reach each rule and how long it spends there.
  json profile() {
    return inChild([&]() -> json {
      const auto &rs = ruleSet();
      Pcre p(true);
      HsLiterals lit;
      json rows = json::array();
      std::vector<double> full(rs.size()), confirm(rs.size(), 0);
      std::vector<uint64_t> candTexts(rs.size(), 0), candBytes(rs.size(), 0), hitsN(rs.size(), 0);
      std::vector<Hit> hits;
      for (size_t r = 0; r < rs.size(); ++r) {
        hits.clear();
        const auto t0 = Clock::now();
        for (size_t i = 0; i < corpus.texts.size(); ++i)
          if (corpus.texts[i].size() >= kMinText)
            p.rule(r, corpus.texts[i], (uint32_t)i, hits);
        full[r] = seconds(t0, Clock::now());
        hitsN[r] = hits.size();
      }
      std::vector<char> on;
      uint64_t anyTexts = 0, anyBytes = 0, textsN = 0;
      double litSecs = 0;
      for (size_t i = 0; i < corpus.texts.size(); ++i) {
        const auto &t = corpus.texts[i];
        if (t.size() < kMinText)
          continue;
        ++textsN;
        const auto t0 = Clock::now();
        lit.candidates(t, on);
        litSecs += seconds(t0, Clock::now());
        bool any = false;
        for (size_t r = 0; r < rs.size(); ++r) {
          if (!on[r])
            continue;
          any = true;
          ++candTexts[r];
          candBytes[r] += t.size();
          hits.clear();
          const auto t1 = Clock::now();
          p.rule(r, t, (uint32_t)i, hits);
          confirm[r] += seconds(t1, Clock::now());
        }
        anyTexts += any;
        anyBytes += any ? t.size() : 0;
      }
      // The anchored scheme (3e): keyword hits per anchored rule and the PCRE2 time spent on
      // them; rules that are not anchored cost what `confirm` says.
      HsLiterals litPos(-1, true);
      std::vector<double> anchoredSecs(rs.size(), 0);
      std::vector<uint64_t> keywordHits(rs.size(), 0);
      std::vector<std::pair<size_t, unsigned>> khits;
      std::vector<size_t> doneUpTo;
      for (size_t i = 0; i < corpus.texts.size(); ++i) {
        const auto &t = corpus.texts[i];
        if (t.size() < kMinText)
          continue;
        litPos.candidates(t, on, &khits);
        doneUpTo.assign(rs.size(), 0);
        for (const auto &[start, r] : khits) {
          ++keywordHits[r];
          if (start < doneUpTo[r])
            continue;
          hits.clear();
          const auto t1 = Clock::now();
          const size_t w = rs.rules[r].window;
          const size_t end = p.at(r, t, (uint32_t)i, start, PCRE2_ANCHORED, hits,
                                  w ? start + w : std::string::npos);
          anchoredSecs[r] += seconds(t1, Clock::now());
          if (end != std::string::npos)
            doneUpTo[r] = end;
        }
      }
      // The keyword scan's cost per rule: the scan without that rule's keywords (best of 3).
      std::vector<double> without(rs.size());
      for (size_t r = 0; r < rs.size(); ++r) {
        HsLiterals l2((int)r);
        double best = 1e9;
        for (int k = 0; k < 3; ++k) {
          const auto t0 = Clock::now();
          for (const auto &t : corpus.texts)
            if (t.size() >= kMinText)
              l2.candidates(t, on);
          best = std::min(best, seconds(t0, Clock::now()));
        }
        without[r] = best;
      }
      double litBest = 1e9;
      for (int k = 0; k < 3; ++k) {
        const auto t0 = Clock::now();
        for (const auto &t : corpus.texts)
          if (t.size() >= kMinText)
            lit.candidates(t, on);
        litBest = std::min(litBest, seconds(t0, Clock::now()));
      }
      for (size_t r = 0; r < rs.size(); ++r)
        rows.push_back({{"rule", rs.rules[r].id},      {"fullSecs", full[r]},
                        {"scanWithoutSecs", without[r]},
                        {"candTexts", candTexts[r]},   {"candBytes", candBytes[r]},
                        {"confirmSecs", confirm[r]},   {"matches", hitsN[r]},
                        {"anchored", (bool)litPos.anchored[r]},
                        {"keywordHits", keywordHits[r]}, {"anchoredSecs", anchoredSecs[r]}});
      return json{{"rows", rows},         {"litSecs", litSecs}, {"litBestSecs", litBest}, {"anyTexts", anyTexts},
                  {"anyBytes", anyBytes}, {"texts", textsN}};
    });
  }
};

void usage() {
  std::cout <<
      R"(Usage: engines [--corpus DIR] [--size-mb 50] [--seed 11] [--plant-kb 50] [--runs 3]
               [--regex-sample-kb 1024] [--skip-nojit] [--skip-std-regex] [--json FILE]
               [--show-adapted]

Without --corpus, ./engines-corpus-<size>mb-s<seed> is generated (once) with
  python3 <bench>/gen_corpus.py --out DIR --size-mb <size> --seed <seed>
)";
}

} // namespace

int main(int argc, char **argv) {
  std::string corpusDir, jsonOut;
  double sizeMb = 50, plantKb = 50, sampleKb = 1024;
  int seed = 11, runs = 3;
  bool nojit = true, stdRegex = true, showAdapted = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--corpus") corpusDir = next();
    else if (a == "--size-mb") sizeMb = std::stod(next());
    else if (a == "--seed") seed = std::stoi(next());
    else if (a == "--plant-kb") plantKb = std::stod(next());
    else if (a == "--runs") runs = std::stoi(next());
    else if (a == "--regex-sample-kb") sampleKb = std::stod(next());
    else if (a == "--skip-nojit") nojit = false;
    else if (a == "--skip-std-regex") stdRegex = false;
    else if (a == "--json") jsonOut = next();
    else if (a == "--show-adapted") showAdapted = true;
    else if (a == "-h" || a == "--help") { usage(); return 0; }
    else { usage(); return 2; }
  }
  if (showAdapted) { // the forms RE2 / Hyperscan / std::regex get, then exit
    for (const auto &r : ruleSet().rules) {
      const Portable p = portableFor(r);
      std::cout << r.id << (r.caseless ? " (caseless)" : "") << ": "
                << (!p.ok ? "NOT ADAPTABLE" : p.adapted ? "adapted" : "original") << "\n  "
                << p.pattern << "\n  mGroup " << p.mGroup << ", value groups";
      for (int g : p.vGroups)
        std::cout << " " << g;
      if (!p.how.empty())
        std::cout << "; " << p.how;
      std::cout << "\n";
    }
    return 0;
  }
  if (corpusDir.empty()) {
    corpusDir = "engines-corpus-" + fmt("%g", sizeMb) + "mb-s" + std::to_string(seed);
    if (!fs::exists(fs::path(corpusDir) / "manifest.json")) {
      const std::string cmd = "python3 '" MANTRA_BENCH_DIR "/gen_corpus.py' --out '" + corpusDir +
                              "' --size-mb " + fmt("%g", sizeMb) + " --seed " + std::to_string(seed);
      std::cout << "generating corpus: " << cmd << "\n" << std::flush;
      if (std::system(cmd.c_str()) != 0)
        die("corpus generation failed");
    }
  }

  auto t0 = Clock::now();
  Corpus corpus = loadCorpus(corpusDir);
  const uint64_t before = corpus.bytes();
  plant(corpus, (uint64_t)seed * 7919 + 1, plantKb);
  const uint64_t bytes = corpus.bytes();
  size_t longTexts = 0;
  for (const auto &t : corpus.texts)
    longTexts += t.size() >= kMinText;
  int plantedTotal = 0;
  for (auto &[k, n] : corpus.planted)
    plantedTotal += n;
  std::cout << "corpus " << corpusDir << ": " << corpus.files << " files, " << corpus.lines
            << " JSON documents (" << corpus.badLines << " unparsable), " << corpus.texts.size()
            << " string values (" << longTexts << " of >= " << kMinText << " bytes), "
            << fmt("%.1f", double(bytes) / 1e6) << " MB of string text ("
            << fmt("%.1f", double(before) / 1e6) << " MB before planting); " << plantedTotal
            << " secrets planted (one per ~" << fmt("%g", plantKb) << " KiB), loaded in "
            << fmt("%.1f", seconds(t0, Clock::now())) << " s\n";
  std::cout << "planted:";
  for (auto &[k, n] : corpus.planted)
    std::cout << " " << k << "=" << n;
  std::cout << "\nrule table: " << ruleSet().size() << " rules, fingerprint " << std::hex
            << ruleSet().fingerprint << std::dec;
  std::cout << "\nbaseline RSS (corpus in memory): " << statusKb("VmRSS") / 1024 << " MiB\n\n"
            << std::flush;

  Bench bench{corpus, runs, {}, {}};
  {
    PcreAll refEngine(true);
    for (size_t i = 0; i < corpus.texts.size(); ++i)
      if (corpus.texts[i].size() >= kMinText)
        refEngine.scan(corpus.texts[i], (uint32_t)i, bench.refHits);
    bench.ref = keysOf(bench.refHits);
  }

  const size_t all = corpus.texts.size();
  std::vector<json> results;
  auto run = [&](const std::string &name, std::function<std::unique_ptr<Engine>()> make,
                 size_t n, bool compare = true, bool valueSpans = false) {
    std::cout << "running " << name << " ..." << std::flush;
    json r = bench.measure(name, make, n, compare, valueSpans);
    if (r.contains("error"))
      std::cout << " ERROR " << r["error"].get<std::string>() << "\n";
    else
      std::cout << " " << fmt("%.1f", r["mbps"].get<double>()) << " MB/s\n";
    r["name"] = name;
    r["valueSpans"] = valueSpans;
    results.push_back(r);
  };
  run("1  PCRE2-JIT, every rule", [] { return std::make_unique<PcreAll>(true); }, all);
  run("1u PCRE2-JIT UTF mode, every rule", [] { return std::make_unique<PcreAll>(true, true); },
      all);
  run("2  memmem keywords + PCRE2-JIT", [] { return std::make_unique<PcreNaive>(); }, all);
  run("3  Hyperscan keywords + PCRE2-JIT", [] { return std::make_unique<HsPcre>(true); }, all);
  run("3u Hyperscan keywords + PCRE2-JIT UTF mode",
      [] { return std::make_unique<HsPcre>(true, true); }, all);
  run("3e Hyperscan keyword hits + anchored PCRE2-JIT",
      [] { return std::make_unique<HsAnchoredPcre>(); }, all);
  run("3c Hyperscan rule filter (UTF-8) + PCRE2-JIT",
      [] { return std::make_unique<HsFilterPcre>(true); }, all);
  run("3d Hyperscan rule filter (bytes) + PCRE2-JIT",
      [] { return std::make_unique<HsFilterPcre>(false); }, all);
  run("3b mantra Redactor::find (shipped)", [] { return std::make_unique<MantraEngine>(); }, all,
      true, true);
  run("4  RE2::Set + RE2", [] { return std::make_unique<Re2Engine>(); }, all);
  run("5  Hyperscan SOM alone", [] { return std::make_unique<HsSom>(); }, all);
  if (nojit) {
    run("1n PCRE2 interpreter, every rule", [] { return std::make_unique<PcreAll>(false); }, all);
    run("3n Hyperscan keywords + PCRE2 interp.", [] { return std::make_unique<HsPcre>(false); },
        all);
  }
  run("-- Hyperscan keyword scan only", [] { return std::make_unique<HsLiteralsOnly>(); }, all,
      false);
  run("-- RE2::Set only", [] { return std::make_unique<Re2Engine>(true); }, all, false);
  size_t sample = 0;
  if (stdRegex) {
    sample = bench.prefixFor((uint64_t)(sampleKb * 1024));
    run("6  std::regex, every rule (sample)", [] { return std::make_unique<StdRegex>(false); },
        sample);
    run("6b Hyperscan keywords + std::regex (sample)",
        [] { return std::make_unique<StdRegex>(true); }, sample);
    // PCRE2-JIT on the very same sample, for a like-for-like figure.
    run("1s PCRE2-JIT, every rule (same sample)", [] { return std::make_unique<PcreAll>(true); },
        sample);
  }
  std::cout << "profiling rules ..." << std::flush;
  json prof = bench.profile();
  std::cout << " done\n\n";

  // ---- report
  const auto &rs = ruleSet();
  std::cout << "MB/s = 10^6 bytes of string values per second, median of " << runs
            << " runs; findings = raw rule matches (text, rule, start) unless noted;\n"
               "agreement is against (1) on the same texts: common / only this engine / only (1); "
               "same span = common with the same end too.\n\n";
  std::printf("%-44s %7s %7s %7s %22s %8s %9s %25s %9s %9s\n", "engine", "MB/s", "cpuMB/s",
              "bytes", "runs (s, wall)", "setup ms", "findings", "common/only-here/only-ref",
              "same span", "+peak MiB");
  for (const auto &r : results) {
    if (r.contains("error")) {
      std::printf("%-44s ERROR %s\n", r["name"].get<std::string>().c_str(),
                  r["error"].get<std::string>().c_str());
      continue;
    }
    std::string runsS;
    for (double s : r["secs"])
      runsS += (runsS.empty() ? "" : " ") + fmt("%.3f", s);
    std::string agree = "-", find = "-", same = "-";
    if (r.contains("findings") && r["valueSpans"].get<bool>()) {
      find = std::to_string(r["findings"].get<uint64_t>());
      agree = "n/a (checked, merged)";
    } else if (r.contains("findings")) {
      find = std::to_string(r["findings"].get<uint64_t>());
      agree = std::to_string(r["common"].get<uint64_t>()) + "/" +
              std::to_string(r["onlyHere"].get<uint64_t>()) + "/" +
              std::to_string(r["onlyRef"].get<uint64_t>());
      same = std::to_string(r["sameSpan"].get<uint64_t>());
    }
    std::printf("%-44s %7.1f %7.1f %6.1fM %22s %8.0f %9s %25s %9s %9.1f\n",
                r["name"].get<std::string>().c_str(), r["mbps"].get<double>(),
                r["mbpsCpu"].get<double>(), r["bytes"].get<double>() / 1e6, runsS.c_str(),
                r["compileMs"].get<double>(), find.c_str(), agree.c_str(), same.c_str(),
                r["extraPeakKb"].get<double>() / 1024);
  }

  std::cout << "\nfindings per rule (raw matches; 3b after checks and merge):\n";
  std::vector<const json *> cmp;
  for (const auto &r : results)
    if (r.contains("perRule") && r["texts"].get<size_t>() == all)
      cmp.push_back(&r);
  std::printf("%-24s", "rule");
  for (const auto *r : cmp)
    std::printf(" %7s", (*r)["name"].get<std::string>().substr(0, 2).c_str());
  std::printf("\n");
  for (size_t i = 0; i < rs.size(); ++i) {
    std::printf("%-24s", rs.rules[i].id.c_str());
    for (const auto *r : cmp)
      std::printf(" %7llu", (unsigned long long)(*r)["perRule"][i].get<uint64_t>());
    std::printf("\n");
  }

  std::cout << "\ndisagreements with (1) by rule (only-here | only-ref):\n";
  for (const auto &r : results) {
    if (!r.contains("onlyHereByRule") || r["valueSpans"].get<bool>() ||
        (r["onlyHere"] == 0 && r["onlyRef"] == 0))
      continue;
    std::cout << "  " << r["name"].get<std::string>() << ": +" << r["onlyHereByRule"].dump()
              << " -" << r["onlyRefByRule"].dump() << "\n";
  }

  std::cout << "\nnotes:\n";
  std::set<std::string> seen;
  for (const auto &r : results)
    if (r.contains("notes"))
      for (const auto &n : r["notes"])
        if (seen.insert(n.get<std::string>()).second)
          std::cout << "  " << n.get<std::string>() << "\n";

  if (!prof.contains("error")) {
    const double texts = prof["texts"].get<double>();
    std::cout << "\nper-rule profile (PCRE2-JIT). full = the rule alone on every text; cand = texts "
                 "where Hyperscan found a keyword of the rule; confirm = PCRE2 time on those.\n"
              << "Hyperscan keyword scan: " << fmt("%.3f", prof["litSecs"].get<double>())
              << " s; texts with >= 1 candidate rule: "
              << fmt("%.1f", 100.0 * prof["anyTexts"].get<double>() / texts) << "% ("
              << fmt("%.1f", 100.0 * prof["anyBytes"].get<double>() / double(bytes))
              << "% of bytes)\n";
    std::cout << "keyword scan alone (best of 3): " << fmt("%.3f", prof["litBestSecs"].get<double>())
              << " s; 'scan w/o' = the same scan without this rule's keywords (best of 3);\n"
                 "kw hits / anch. s = the anchored scheme (3e): keyword hits of an anchored rule and "
                 "the PCRE2 time at them\n";
    std::printf("%-24s %8s %9s %10s %8s %9s %8s %8s %9s %9s\n", "rule", "full s", "full MB/s",
                "cand texts", "cand MB", "confirm s", "matches", "scan w/o", "kw hits", "anch. s");
    double fullSum = 0, confSum = 0;
    for (const auto &row : prof["rows"]) {
      const double f = row["fullSecs"].get<double>(), c = row["confirmSecs"].get<double>();
      fullSum += f;
      confSum += c;
      const bool anch = row["anchored"].get<bool>();
      std::printf("%-24s %8.3f %9.0f %10llu %8.1f %9.3f %8llu %8.3f %9s %9s\n",
                  row["rule"].get<std::string>().c_str(), f, double(bytes) / f / 1e6,
                  (unsigned long long)row["candTexts"].get<uint64_t>(),
                  row["candBytes"].get<double>() / 1e6, c,
                  (unsigned long long)row["matches"].get<uint64_t>(),
                  row["scanWithoutSecs"].get<double>(),
                  anch ? std::to_string(row["keywordHits"].get<uint64_t>()).c_str() : "-",
                  anch ? fmt("%.3f", row["anchoredSecs"].get<double>()).c_str() : "(whole)");
    }
    std::printf("%-24s %9.3f %9s %10s %10s %11.3f\n", "total", fullSum, "", "", "", confSum);
  }

  if (!jsonOut.empty()) {
    json out{{"corpus", corpusDir}, {"ruleFingerprint", ruleSet().fingerprint},      {"bytes", bytes},     {"texts", corpus.texts.size()},
             {"planted", corpus.planted}, {"results", results}, {"profile", prof},
             {"sampleTexts", sample}};
    std::ofstream(jsonOut) << out.dump(1) << "\n";
  }
  return 0;
}
