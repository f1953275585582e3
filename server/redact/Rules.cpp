// Patterns follow the providers' documented token formats where they exist (prefix, alphabet,
// length) and anchor on word boundaries so that a key inside a longer identifier is not cut in
// half. Generic rules (assignments, headers, URLs) capture only the value, keeping the name.
#include "redact/Rules.h"

#include <array>
#include <cctype>
#include <cmath>

namespace mantra::redact {
namespace {

std::vector<Keyword> kw(std::initializer_list<const char *> words, bool caseless = true) {
  std::vector<Keyword> out;
  for (const char *w : words)
    out.push_back({w, caseless});
  return out;
}

} // namespace

const std::vector<Rule> &builtinRules() {
  static const std::vector<Rule> rules = {
      {"private-key", kw({"-----BEGIN"}, false),
       R"re(-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?=(?:\\[nr]|\s)*(?:[A-Za-z0-9+/=]{16}|Proc-Type:|Version:|Comment:))[\s\S]*?(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\z))re",
       Check::None, false, true, 0},
      {"anthropic-api-key", kw({"sk-ant-"}, false),
       R"re((?<![A-Za-z0-9_-])sk-ant-[a-z]{3,8}[0-9]{0,3}-[A-Za-z0-9_-]{20,})re"},
      {"openai-api-key", kw({"sk-"}, false),
       R"re((?<![A-Za-z0-9_-])sk-(?!ant-)(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,})re",
       Check::RandomToken},
      {"google-api-key", kw({"AIza"}, false), R"re(\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-]))re"},
      {"aws-access-key-id", kw({"AKIA", "ASIA", "ABIA", "ACCA", "A3T"}, false),
       R"re(\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b)re", Check::KeyId},
      {"aws-secret-access-key", kw({"secret_access", "secretaccess", "secret-access"}),
       R"re((?i:secret_?access_?key|secret-access-key)["']?(?:\s*(?::=|=>|=|:)\s*|\s+)["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+]))re",
       Check::NotExample},
      {"azure-storage-key", kw({"AccountKey="}),
       R"re((?i:AccountKey)=([A-Za-z0-9+/]{86,88}={0,2}))re"},
      {"azure-client-secret", kw({"Q~"}, false),
       R"re((?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-]))re",
       Check::None, false, false},
      {"github-token", kw({"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, false),
       R"re(\b(?:gh[pousr]_[A-Za-z0-9]{36,40}|github_pat_[A-Za-z0-9_]{60,90})\b)re",
       Check::RandomToken},
      {"gitlab-token", kw({"glpat-"}, false), R"re(\bglpat-[A-Za-z0-9_-]{20,})re"},
      {"slack-webhook", kw({"hooks.slack.com"}),
       R"re(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,})re",
       Check::None, false, false},
      {"slack-token", kw({"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xoxo-"}, false),
       R"re(\bxox[abprseo]-[A-Za-z0-9-]{10,})re", Check::RandomToken},
      {"stripe-key", kw({"sk_live_", "rk_live_", "sk_test_", "rk_test_"}, false),
       R"re(\b[rs]k_(?:live|test)_[A-Za-z0-9]{24,})re"},
      {"twilio-api-key", kw({"SK"}, false), R"re(\bSK[0-9a-fA-F]{32}\b)re", Check::RandomToken},
      {"sendgrid-api-key", kw({"SG."}, false),
       R"re(\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-]))re"},
      {"npm-token", kw({"npm_"}, false), R"re(\bnpm_[A-Za-z0-9]{36}\b)re"},
      {"pypi-token", kw({"pypi-AgE"}, false), R"re(\bpypi-AgE[A-Za-z0-9_-]{50,})re"},
      {"huggingface-token", kw({"hf_"}, false), R"re(\bhf_[A-Za-z]{34}\b)re", Check::RandomToken},
      {"jwt", kw({"eyJ"}, false),
       R"re(\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})re"},
      {"authorization-header", kw({"authorization", "bearer"}),
       R"re((?:(?i:authorization)["']?(?:\s*[:=]\s*|\s+)["']?(?i:bearer|basic|token|digest)\s+|(?i:\bbearer)\s+)([A-Za-z0-9._~+/-]{8,}=*))re",
       Check::Placeholder},
      {"url-credentials", kw({"://"}),
       R"re(://[^\s:/@"'<>]{1,64}:([^\s/@"'<>]{1,128})@[A-Za-z0-9.\[-])re", Check::Placeholder},
      {"db-connection-string", kw({"password=", "pwd="}),
       R"re((?i:(?:server|data source|host|user id|uid|database|initial catalog)\s*=[^;\n]{0,200};[^"'\n]{0,300}?\b(?:password|pwd)\s*=\s*)([^;"'\s]+))re",
       Check::Placeholder, false, false},
      {"password-assignment",
       kw({"pass", "pwd", "secret", "token", "api_key", "apikey", "api-key", "access_key",
           "auth_key", "private_key", "accesskey", "authkey", "privatekey", "credential"}),
       R"re((?i:password|passwd|pwd|secret|token|api_?key|api-key|access_?key|auth_?key|private_?key|credentials?)(?i:[_.-]?(?:key|base|value|token|id)){0,2}["']?\s*(?::=|=>|=|:)\s*(?|"([^"\n]{6,200})"|'([^'\n]{6,200})'|([^\s"'`,;(){}\[\]<>]{8,200})))re",
       Check::Assignment},
      {"internal-host", kw({".internal", ".corp", ".local", ".lan", ".intranet"}, false),
       R"re((?<![A-Za-z0-9.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:internal|corp|local|lan|intranet))(?![A-Za-z0-9_-]|\.[A-Za-z0-9]|\s*\())re",
       Check::Host, false, false},
      {"private-ip", kw({"10.", "172.", "192.168."}, false),
       R"re((?<![0-9.])(?:10\.[0-9]{1,3}|172\.(?:1[6-9]|2[0-9]|3[01])|192\.168)\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9]|\.[0-9]))re",
       Check::PrivateIp},
  };
  return rules;
}

const std::vector<std::string> &publicValues() {
  // Azurite's (the Azure Storage emulator's) account key, printed in Microsoft's documentation.
  static const std::vector<std::string> values = {
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="};
  return values;
}

double entropy(std::string_view s) {
  if (s.empty())
    return 0;
  std::array<int, 256> counts{};
  for (unsigned char c : s)
    ++counts[c];
  double h = 0;
  for (int n : counts)
    if (n) {
      const double p = double(n) / double(s.size());
      h -= p * std::log2(p);
    }
  return h;
}

bool isPlaceholder(std::string_view v) {
  if (v.empty())
    return true;
  auto has = [&](std::string_view needle) {
    // case-insensitive find
    if (needle.size() > v.size())
      return false;
    for (size_t i = 0; i + needle.size() <= v.size(); ++i) {
      size_t j = 0;
      while (j < needle.size() && std::tolower(static_cast<unsigned char>(v[i + j])) == needle[j])
        ++j;
      if (j == needle.size())
        return true;
    }
    return false;
  };
  if (v.front() == '$' || v.front() == '<' || v.front() == '%' || v.front() == '{' || has("${") ||
      has("{{") || has("[redacted") || has("process.env") || has("os.environ") || has("getenv"))
    return true;
  for (std::string_view word :
       {"your_", "your-", "yourtoken", "yourkey", "yourpassword", "example", "placeholder",
        "replace-me", "replace_me", "replaceme", "dummy", "xxxxxx", "******", "<", "...", "•••"})
    if (has(word))
      return true;
  // All one repeated character ("********", "xxxxxxxx").
  bool same = true;
  for (char c : v)
    same = same && c == v.front();
  if (same)
    return true;
  // SHOUTING_SNAKE names stand for a value ("API_KEY", "MY_TOKEN"), they are not one.
  bool shout = true;
  for (char c : v)
    shout = shout && (std::isupper(static_cast<unsigned char>(c)) || c == '_');
  return shout;
}

} // namespace mantra::redact
