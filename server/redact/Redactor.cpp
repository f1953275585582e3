#include "redact/Redactor.h"

#include "redact/Rules.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <algorithm>
#include <atomic>
#include <hs/hs.h>
#include <pcre2.h>
#include <stdexcept>

namespace mantra {
using redact::Check;
using redact::Rule;

namespace {

struct Compiled {
  std::string id;
  pcre2_code *code = nullptr;
  Check check = Check::None;
  bool always = false;   // no keywords: tried on every text
  bool anchored = false; // tried only where its keywords occur
  size_t window = 0;     // anchored: subject bytes past the keyword (0: all)
};

// What the prefilter found in one text: which rules may match, and for anchored rules where.
struct Candidates {
  std::vector<char> on;                          // per rule
  std::vector<std::pair<size_t, unsigned>> hits; // (start offset, rule) for anchored rules
};

std::string pcreError(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof buf);
  return reinterpret_cast<const char *>(buf);
}

bool looksRandom(std::string_view v) {
  bool upper = false, lower = false, digit = false;
  for (char c : v) {
    upper = upper || (c >= 'A' && c <= 'Z');
    lower = lower || (c >= 'a' && c <= 'z');
    digit = digit || (c >= '0' && c <= '9');
  }
  // Hex keys (Twilio) have no upper/lower mix; letter-only keys (Hugging Face) have no digits.
  const int kinds = upper + lower + digit;
  return kinds >= 2 && redact::entropy(v) >= 3.0 && !redact::isPlaceholder(v);
}

// An assigned value that is a literal secret, not code: `password = getPassword()` and
// `token = request.headers` are not hits; `PASSWORD=s3cr3t-v4lue` is.
bool looksAssigned(std::string_view v) {
  if (redact::isPlaceholder(v))
    return false;
  if (v.find(' ') != std::string_view::npos) {
    // A phrase is a secret only when it is short and not prose ("the token is refreshed").
    size_t spaces = std::count(v.begin(), v.end(), ' ');
    if (spaces > 2)
      return false;
  }
  // Dotted identifiers and plain words: request.headers, self.token, true, null.
  bool identifier = true, hasDigitOrSymbol = false;
  for (char c : v) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    identifier = identifier && (alpha || digit || c == '.');
    hasDigitOrSymbol = hasDigitOrSymbol || !alpha;
  }
  if (identifier && !hasDigitOrSymbol)
    return false;
  if (identifier && v.find('.') != std::string_view::npos &&
      std::none_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  static const char *const kWords[] = {"true", "false", "null", "none", "undefined", "nil"};
  for (const char *w : kWords)
    if (v == w)
      return false;
  return redact::entropy(v) >= 2.0;
}

bool privateIpOk(std::string_view v) {
  int octet = 0, digits = 0;
  for (char c : v) {
    if (c == '.') {
      if (octet > 255 || digits == 0)
        return false;
      octet = digits = 0;
    } else {
      octet = octet * 10 + (c - '0');
      ++digits;
    }
  }
  return octet <= 255 && digits > 0;
}

// A host under an internal domain, told apart from code: `build01.corp`, `wiki.eng.intranet`,
// `https://jenkins.corp/` are hosts; `this.corp`, `config.internal`, `self.lan` are properties.
bool hostOk(std::string_view text, size_t s, size_t e) {
  const std::string_view host = text.substr(s, e - s);
  const size_t dots = std::count(host.begin(), host.end(), '.');
  if (dots >= 2)
    return true;
  const std::string_view name = host.substr(0, host.find('.'));
  static const char *const kReceivers[] = {
      "this",  "self", "config",   "cfg",     "ctx",   "window", "document", "props",
      "state", "os",   "sys",      "cls",     "super", "module", "exports",  "app",
      "req",   "res",  "settings", "options", "opts",  "env",    "process"};
  for (const char *r : kReceivers)
    if (name == r)
      return false;
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return (c >= '0' && c <= '9') || c == '-'; }))
    return true;
  // A single plain word: a host only where a host is expected.
  const std::string_view before = text.substr(0, s);
  const std::string_view after = text.substr(e);
  const bool url = before.size() >= 3 && before.substr(before.size() - 3) == "://";
  const bool at = !before.empty() && before.back() == '@';
  const bool port = after.size() >= 2 && after[0] == ':' && after[1] >= '0' && after[1] <= '9';
  const bool path = !after.empty() && after[0] == '/';
  const bool ssh = before.size() >= 4 && (before.substr(before.size() - 4) == "ssh " ||
                                          before.substr(before.size() - 4) == "ing ");
  return url || at || port || path || ssh;
}

bool passes(Check check, std::string_view v, std::string_view text, size_t s, size_t e) {
  switch (check) {
  case Check::Host:
    return hostOk(text, s, e);
  case Check::KeyId:
    // Real ids may lack digits (AWS uses A–Z and 2–7); placeholders repeat one letter.
    return v.find("EXAMPLE") == std::string_view::npos && redact::entropy(v.substr(4)) >= 2.5;
  case Check::None:
    return true;
  case Check::NotExample:
    return v.find("EXAMPLE") == std::string_view::npos;
  case Check::RandomToken:
    return looksRandom(v) && v.find("EXAMPLE") == std::string_view::npos;
  case Check::Assignment:
    return looksAssigned(v);
  case Check::Placeholder:
    return !redact::isPlaceholder(v);
  case Check::PrivateIp:
    return privateIpOk(v);
  }
  return true;
}

std::string escapeRegex(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}-/").find(c) != std::string_view::npos)
      out += '\\';
    out += c;
  }
  return out;
}

} // namespace

struct Redactor::Impl {
  std::vector<Compiled> rules;
  std::vector<std::string> allow;
  hs_database_t *db = nullptr;
  std::vector<unsigned> keywordRule; // Hyperscan pattern id -> rule index
  std::vector<size_t> keywordLen;    // Hyperscan pattern id -> keyword length
  bool anyAlways = false;
  uint64_t serial = nextSerial();

  static uint64_t nextSerial() {
    static std::atomic<uint64_t> n{0};
    return ++n;
  }

  ~Impl() {
    for (auto &r : rules)
      pcre2_code_free(r.code);
    if (db)
      hs_free_database(db);
  }

  Status add(const std::string &id, const std::string &pattern, Check check, bool caseless,
             const std::vector<redact::Keyword> &keywords, bool anchored, size_t window,
             bool builtin) {
    int err = 0;
    PCRE2_SIZE offset = 0;
    // Built-in patterns are ASCII and work on bytes: no UTF mode, whose invalid-UTF handling
    // costs a helper call per character. A user's pattern gets UTF mode (it may name letters
    // beyond ASCII); invalid sequences in a text then simply do not match.
    uint32_t opts = builtin ? 0u : PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (caseless)
      opts |= PCRE2_CASELESS;
    pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(),
                                     opts, &err, &offset, nullptr);
    if (!code)
      return makeError(ErrorCode::Invalid, "redact rule " + id + ": bad pattern at offset " +
                                               std::to_string(offset) + ": " + pcreError(err));
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    Compiled c{id, code, check, keywords.empty(), anchored && !keywords.empty(), window};
    anyAlways = anyAlways || c.always;
    rules.push_back(c);
    (void)keywords;
    return {};
  }

  Status buildPrefilter(const std::vector<std::vector<redact::Keyword>> &keywords) {
    std::vector<const char *> exprs;
    std::vector<size_t> lens;
    std::vector<unsigned> flags, ids;
    for (size_t r = 0; r < keywords.size(); ++r)
      for (const auto &k : keywords[r]) {
        exprs.push_back(k.text.c_str());
        lens.push_back(k.text.size());
        // Anchored rules need every hit; for the others one hit says "try this rule".
        flags.push_back((rules[r].anchored ? 0u : HS_FLAG_SINGLEMATCH) |
                        (k.caseless ? HS_FLAG_CASELESS : 0u));
        ids.push_back(static_cast<unsigned>(keywordRule.size()));
        keywordRule.push_back(static_cast<unsigned>(r));
        keywordLen.push_back(k.text.size());
      }
    if (exprs.empty())
      return {};
    hs_compile_error_t *cerr = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                             static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                             &cerr) != HS_SUCCESS) {
      std::string msg = cerr && cerr->message ? cerr->message : "unknown error";
      hs_free_compile_error(cerr);
      return makeError(ErrorCode::Invalid, "redact: keyword prefilter: " + msg);
    }
    return {};
  }

  // Which rules may match `text`, and where the anchored ones may start.
  void candidates(std::string_view text, Candidates &c) const {
    c.on.assign(rules.size(), 0);
    c.hits.clear();
    for (size_t i = 0; i < rules.size(); ++i)
      c.on[i] = rules[i].always;
    if (!db || text.empty())
      return;
    // One scratch per thread, grown for whichever database this thread scans with; keyed by a
    // serial number rather than the address, which a later Redactor may reuse.
    thread_local hs_scratch_t *scratch = nullptr;
    thread_local uint64_t scratchFor = 0;
    auto everything = [&] {
      // Cannot prefilter: try every rule the slow way.
      std::fill(c.on.begin(), c.on.end(), 1);
      c.hits.clear();
    };
    if (scratchFor != serial) {
      if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
        return everything();
      scratchFor = serial;
    }
    struct Ctx {
      const Impl *self;
      Candidates *c;
    } ctx{this, &c};
    auto cb = [](unsigned id, unsigned long long, unsigned long long to, unsigned, void *p) -> int {
      auto *x = static_cast<Ctx *>(p);
      const unsigned rule = x->self->keywordRule[id];
      x->c->on[rule] = 1;
      if (x->self->rules[rule].anchored)
        x->c->hits.emplace_back(static_cast<size_t>(to) - x->self->keywordLen[id], rule);
      return 0;
    };
    if (hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, cb, &ctx) !=
        HS_SUCCESS)
      return everything();
    std::sort(c.hits.begin(), c.hits.end());
  }
};

Redactor::Redactor() {
  auto r = create({});
  if (!r)
    throw std::logic_error("built-in redaction rules do not compile: " + r.error().message);
  impl_ = r->impl_;
}

Expected<Redactor> Redactor::create(const RedactOptions &options) {
  auto impl = std::make_shared<Impl>();
  std::vector<std::vector<redact::Keyword>> keywords;
  for (const Rule &r : redact::builtinRules()) {
    if (auto st =
            impl->add(r.id, r.pattern, r.check, r.caseless, r.keywords, r.anchored, r.window, true);
        !st)
      return st.error();
    keywords.push_back(r.keywords);
  }
  for (const auto &d : options.internalDomains) {
    std::string dom = d;
    while (!dom.empty() && dom.front() == '.')
      dom.erase(dom.begin());
    if (dom.empty())
      continue;
    const std::string pattern = "(?<![A-Za-z0-9.-])((?:[a-z0-9-]+\\.)*" + escapeRegex(dom) +
                                ")(?![A-Za-z0-9_-]|\\.[A-Za-z0-9])";
    if (auto st =
            impl->add("internal-host", pattern, Check::Host, true, {{dom, true}}, false, 0, true);
        !st)
      return st.error();
    keywords.push_back({{dom, true}});
  }
  for (size_t i = 0; i < options.patterns.size(); ++i) {
    const auto &p = options.patterns[i];
    const std::string id = p.id.empty() ? "custom-" + std::to_string(i + 1) : p.id;
    if (auto st = impl->add(id, p.pattern, Check::None, false, {}, false, 0, false); !st)
      return st.error();
    keywords.push_back({});
  }
  if (auto st = impl->buildPrefilter(keywords); !st)
    return st.error();
  impl->allow = options.allow;
  return Redactor(std::shared_ptr<const Impl>(std::move(impl)));
}

std::vector<Finding> Redactor::find(std::string_view text) const {
  struct Ranked {
    Finding f;
    size_t priority; // the rule's position: specific rules come before generic ones
  };
  std::vector<Ranked> found;
  std::vector<Finding> out;
  if (text.size() < 4)
    return out;
  const Impl &im = *impl_;
  thread_local Candidates cand;
  im.candidates(text, cand);
  if (std::find(cand.on.begin(), cand.on.end(), 1) == cand.on.end())
    return out;
  thread_local pcre2_match_data *md = pcre2_match_data_create(16, nullptr);
  const auto *subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  // Runs `rule` at `at`; records a finding; returns where the match ended (or npos).
  auto tryAt = [&](size_t ruleIndex, size_t at, uint32_t opts, size_t limit) -> size_t {
    const Compiled &rule = im.rules[ruleIndex];
    // No UTF check: UTF patterns are compiled with PCRE2_MATCH_INVALID_UTF (invalid sequences
    // simply do not match); the check would re-read the subject at every try.
    const int rc =
        pcre2_match(rule.code, subject, limit, at, opts | PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0)
      return std::string_view::npos;
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    size_t s = ov[0], e = ov[1];
    if (rc >= 2 && ov[2] != PCRE2_UNSET) {
      s = ov[2];
      e = ov[3];
    }
    const std::string_view value = text.substr(s, e - s);
    bool allowed = false;
    for (const auto &a : im.allow)
      allowed = allowed || (!a.empty() && value.find(a) != std::string_view::npos);
    for (const auto &p : redact::publicValues())
      allowed = allowed || value == p;
    if (e > s && !allowed && passes(rule.check, value, text, s, e))
      found.push_back({{rule.id, s, e - s}, ruleIndex});
    return ov[1] > ov[0] ? ov[1] : ov[0] + 1;
  };
  // Anchored rules: only where a keyword starts, skipping hits inside the previous match.
  std::vector<size_t> doneUpTo(im.rules.size(), 0);
  for (const auto &[start, r] : cand.hits) {
    if (start < doneUpTo[r])
      continue;
    const size_t window = im.rules[r].window;
    const size_t limit = window ? std::min(text.size(), start + window) : text.size();
    const size_t end = tryAt(r, start, PCRE2_ANCHORED, limit);
    if (end != std::string_view::npos)
      doneUpTo[r] = end;
  }
  for (size_t i = 0; i < im.rules.size(); ++i) {
    if (!cand.on[i] || im.rules[i].anchored)
      continue;
    size_t at = 0;
    while (at <= text.size()) {
      const size_t end = tryAt(i, at, 0, text.size());
      if (end == std::string_view::npos)
        break;
      at = end;
    }
  }
  // Earliest first; at equal starts the longer one, then the more specific rule; a finding
  // overlapping a kept one extends it instead of being reported twice.
  std::sort(found.begin(), found.end(), [](const Ranked &a, const Ranked &b) {
    if (a.f.start != b.f.start)
      return a.f.start < b.f.start;
    if (a.f.length != b.f.length)
      return a.f.length > b.f.length;
    return a.priority < b.priority;
  });
  size_t end = 0, keptPriority = 0;
  for (auto &r : found) {
    Finding &f = r.f;
    if (!out.empty() && f.start < end) {
      if (f.start + f.length > end) {
        out.back().length = f.start + f.length - out.back().start;
        end = f.start + f.length;
      }
      // A generic rule's wider match (`token=ghs_…`) takes the name of the specific rule inside.
      if (r.priority < keptPriority) {
        out.back().rule = f.rule;
        keptPriority = r.priority;
      }
      continue;
    }
    end = f.start + f.length;
    keptPriority = r.priority;
    out.push_back(std::move(f));
  }
  return out;
}

std::string Redactor::redact(std::string text) const {
  const auto found = find(text);
  if (found.empty())
    return text;
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  for (const auto &f : found) {
    out.append(text, at, f.start - at);
    out += "[REDACTED:" + f.rule + "]";
    at = f.start + f.length;
  }
  out.append(text, at, std::string::npos);
  return out;
}

void Redactor::redactJson(nlohmann::json &j) const {
  if (j.is_string()) {
    auto &s = j.get_ref<std::string &>();
    s = redact(std::move(s));
  } else if (j.is_structured()) {
    for (auto &v : j)
      redactJson(v);
  }
}

void Redactor::redactEvent(Event &e) const {
  e.text = redact(std::move(e.text));
  e.command = redact(std::move(e.command));
  e.path = redact(std::move(e.path));
  e.tool = redact(std::move(e.tool));
  redactJson(e.data);
}

void Redactor::redactSession(SessionInfo &s) const {
  s.title = redact(std::move(s.title));
  s.project = redact(std::move(s.project));
  s.branch = redact(std::move(s.branch));
}

void Redactor::redactTitle(TitleHint &t) const { t.title = redact(std::move(t.title)); }

std::vector<std::string> Redactor::ruleIds() const {
  std::vector<std::string> out;
  for (const auto &r : impl_->rules)
    if (std::find(out.begin(), out.end(), r.id) == out.end())
      out.push_back(r.id);
  return out;
}

} // namespace mantra
