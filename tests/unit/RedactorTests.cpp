// The redaction rules one by one (true positives and look-alike negatives), the engine's
// guarantees (idempotent, decoded JSON strings, overlaps), custom rules from config, and the
// end-to-end promise: planted secrets reach neither the database files nor any output.
#include "TestSupport.h"
#include "config/Config.h"
#include "ingest/Indexer.h"
#include "redact/Redactor.h"
#include "redact/Rules.h"
#include "search/Search.h"

#include <catch2/catch.hpp>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

const Redactor &builtin() {
  static const Redactor r;
  return r;
}

// The rule ids found in `text`.
std::vector<std::string> rulesIn(const std::string &text, const Redactor &r = builtin()) {
  std::vector<std::string> out;
  for (const auto &f : r.find(text))
    out.push_back(f.rule);
  return out;
}

bool contains(const std::string &hay, const std::string &needle) {
  return hay.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("redact: provider keys are found by their own rule", "[redact]") {
  struct Case {
    const char *rule, *text, *secret;
  };
  const Case cases[] = {
      {"anthropic-api-key",
       "ANTHROPIC_API_KEY=sk-ant-api03-Qm7vX2pL9sK4tR8wE1yU5iO3aD6fG0hJkZcVbNmL-x7Yq2wAA",
       "sk-ant-api03-Qm7vX2pL9sK4tR8wE1yU5iO3aD6fG0hJkZcVbNmL-x7Yq2wAA"},
      {"openai-api-key",
       "client = OpenAI(api_key=\"sk-proj-4fGh7Jk2Lm9Np3Qr8St1Uv6Wx0Yz5Ab2Cd7Ef\")",
       "sk-proj-4fGh7Jk2Lm9Np3Qr8St1Uv6Wx0Yz5Ab2Cd7Ef"},
      {"google-api-key", "key: AIzaSyD3x9Qw7Lk2Mn4Bv6Cx8Zt1Yr5Ue0Wi3Op",
       "AIzaSyD3x9Qw7Lk2Mn4Bv6Cx8Zt1Yr5Ue0Wi3Op"},
      {"aws-access-key-id", "aws_access_key_id = AKIAZ3MXQ7PLK2W9RT4N", "AKIAZ3MXQ7PLK2W9RT4N"},
      {"aws-secret-access-key",
       "AWS_SECRET_ACCESS_KEY=\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYz8Xq2RtY7Q\"",
       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz8Xq2RtY7Q"},
      {"github-token",
       "git clone https://x:ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789@github.com/o/r",
       "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"},
      {"gitlab-token", "GITLAB_TOKEN=glpat-x7Ab9Cd2Ef4Gh6Ij8Kl0", "glpat-x7Ab9Cd2Ef4Gh6Ij8Kl0"},
      {"slack-token", "SLACK_BOT_TOKEN=xoxb-2048-1357924680-Zq8Wx7Ec6Rv5Tb4",
       "xoxb-2048-1357924680-Zq8Wx7Ec6Rv5Tb4"},
      {"stripe-key", "stripe.api_key = 'sk_live_51Hx7Kp2Lm9Qr4St6Uv8Wx0Yz'",
       "sk_live_51Hx7Kp2Lm9Qr4St6Uv8Wx0Yz"},
      {"sendgrid-api-key", "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",
       "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"},
      {"npm-token", "//registry.npmjs.org/:_authToken=npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2",
       "npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2"},
      {"huggingface-token", "HF_TOKEN=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",
       "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"},
      {"jwt",
       "token: "
       "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_"
       "XgL0n3I9PlFUP0THsR8U",
       "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_"
       "XgL0n3I9PlFUP0THsR8U"},
      {"twilio-api-key", "TWILIO_API_KEY=SK2b7f9c4e1a8d3b6f0e5c2a9d7b4f1e8c",
       "SK2b7f9c4e1a8d3b6f0e5c2a9d7b4f1e8c"},
      // Found by the engine benchmark: an id without digits, camelCase names, a tab.
      {"aws-access-key-id", "export AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH",
       "AKIAQWERTYUIOPASDFGH"},
      {"password-assignment", "const cfg = { privateKey: 'q8Zx!r4Tw9Lm2' }", "q8Zx!r4Tw9Lm2"},
      {"aws-secret-access-key", "SecretAccessKey: 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",
       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz8Xq2RtY7Q"},
      {"authorization-header", "Authorization: Bearer\tabcdefgh12345678xyz", "abcdefgh12345678xyz"},
  };
  for (const auto &c : cases) {
    INFO(c.rule << ": " << c.text);
    const auto rules = rulesIn(c.text);
    CHECK(std::find(rules.begin(), rules.end(), c.rule) != rules.end());
    const std::string out = builtin().redact(c.text);
    CHECK(!contains(out, c.secret));
    CHECK(contains(out, "[REDACTED:"));
  }
}

TEST_CASE("redact: generic rules replace only the value", "[redact]") {
  CHECK(builtin().redact("DB_PASSWORD=Tr0ub4dor&3xyz") ==
        "DB_PASSWORD=[REDACTED:password-assignment]");
  CHECK(builtin().redact("secret: \"n8#Kq2!vZp\"") == "secret: \"[REDACTED:password-assignment]\"");
  CHECK(builtin().redact("postgres://admin:S3cretPass@db.example.com:5432/app") ==
        "postgres://admin:[REDACTED:url-credentials]@db.example.com:5432/app");
  CHECK(builtin().redact("curl -H 'Authorization: Basic YWRtaW46aHVudGVyMg=='") ==
        "curl -H 'Authorization: Basic [REDACTED:authorization-header]'");
  CHECK(builtin().redact("Server=sql1;Database=app;User Id=sa;Password=Xy7!pq9;") ==
        "Server=sql1;Database=app;User Id=sa;Password=[REDACTED:db-connection-string];");
  CHECK(builtin().redact("see https://wiki.eng.intranet/page") ==
        "see https://[REDACTED:internal-host]/page");
  CHECK(builtin().redact("ssh deploy@10.20.30.40 and 192.168.1.7") ==
        "ssh deploy@[REDACTED:private-ip] and [REDACTED:private-ip]");
  const std::string pem = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7v\nq8Zx==\n"
                          "-----END RSA PRIVATE KEY-----\nafter";
  CHECK(builtin().redact(pem) == "key:\n[REDACTED:private-key]\nafter");
}

TEST_CASE("redact: look-alikes are left alone", "[redact]") {
  const char *negatives[] = {
      "password = getPassword()",
      "token = request.headers.get(\"x\")",
      "secret: ${DB_SECRET}",
      "PASSWORD=<your-password>",
      "api_key: \"YOUR_API_KEY\"",
      "password: ********",
      "max_tokens: 4096",
      "\"cache_read_input_tokens\":0",
      "pip install scikit-learn sk-learn",
      "id 3f2a9c1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b and commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
      "\"integrity\": "
      "\"sha512-"
      "Xq2Ab9Cd8Ef7Gh6Ij5Kl4Mn3Op2Qr1St0Uv9Wx8Yz7Ab6Cd5Ef4Gh3Ij2Kl1Mn0Op9Qr8St7Uv6Wx5Yz4Ab==\"",
      "docs: AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "http://localhost:8080 and 127.0.0.1 and 8.8.8.8 and https://api.github.com/repos",
      "postgres://localhost/app",
      "tls = threading.local()",
      "version 10.2.3 released",
      "color: #ff00aa; margin: 10px",
      "The token is refreshed every hour; the password policy requires 12 characters.",
      "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX",
  };
  for (const char *n : negatives) {
    INFO(n);
    CHECK(rulesIn(n).empty());
    CHECK(builtin().redact(n) == n);
  }
}

TEST_CASE("redact: idempotent, and JSON is redacted after decoding", "[redact]") {
  const std::string once = builtin().redact("k=AKIAZ3MXQ7PLK2W9RT4N DB_PASSWORD=Tr0ub4dor&3xyz");
  CHECK(builtin().redact(once) == once);

  // Inside JSON the PEM block's newlines are \n escapes; the decoded string is what is scanned.
  json rec = json::parse(
      R"({"type":"user","message":{"content":"here:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\n-----END OPENSSH PRIVATE KEY-----\n"},"n":5,"list":["ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"]})");
  builtin().redactJson(rec);
  const std::string dumped = rec.dump();
  CHECK(!contains(dumped, "b3BlbnNzaC1rZXktdjE"));
  CHECK(!contains(dumped, "ghp_aBcDe"));
  CHECK(rec["n"] == 5);
  CHECK(rec["type"] == "user");
  CHECK(contains(rec["message"]["content"].get<std::string>(), "[REDACTED:private-key]"));
}

TEST_CASE("redact: custom patterns, internal domains and the allow list", "[redact]") {
  RedactOptions o;
  o.patterns.push_back({"acme-ticket", "ACME-[0-9]{6}"});
  o.patterns.push_back({"", "(?:codename )(\\w+)"});
  o.internalDomains.push_back("acme.net");
  o.allow.push_back("10.0.0.1");
  auto r = Redactor::create(o);
  REQUIRE(r);
  CHECK(r->redact("see ACME-123456") == "see [REDACTED:acme-ticket]");
  CHECK(r->redact("codename falcon") == "codename [REDACTED:custom-2]");
  CHECK(r->redact("https://ci.build.acme.net/x") == "https://[REDACTED:internal-host]/x");
  CHECK(r->redact("gateway 10.0.0.1, db 10.0.0.2") == "gateway 10.0.0.1, db [REDACTED:private-ip]");

  o.patterns.push_back({"broken", "(unclosed"});
  auto bad = Redactor::create(o);
  REQUIRE(!bad);
  CHECK(bad.error().code == ErrorCode::Invalid);
  CHECK(contains(bad.error().message, "broken"));
}

TEST_CASE("redact: config.json is read and its errors name the field", "[redact]") {
  TempDir tmp;
  writeFile(tmp.path() / "config.json",
            R"({"redact": {"patterns": ["ZED-[0-9]+", {"id": "acme", "pattern": "ACME-[0-9]+"}],
                           "internalDomains": ["acme.net"], "allow": ["x"]}})");
  auto c = loadConfig(tmp / "config.json", true);
  REQUIRE(c);
  REQUIRE(c->redact.patterns.size() == 2);
  CHECK(c->redact.patterns[1].id == "acme");
  CHECK(c->redact.internalDomains == std::vector<std::string>{"acme.net"});
  writeFile(tmp.path() / "bad.json", R"({"redact": {"allow": ["ok", 3]}})");
  auto bad = loadConfig(tmp / "bad.json", true);
  REQUIRE(!bad);
  CHECK(contains(bad.error().message, "redact.allow[1]"));
  auto missing = loadConfig(tmp / "none.json", false);
  REQUIRE(missing);
  CHECK(missing->redact.patterns.empty());
}

namespace {

// Secrets planted in a session: in a prompt, a command, its output, a file the agent read, an
// edit, an unknown record, a title and a line too broken to parse.
struct Planted {
  std::vector<std::string> secrets = {
      "sk-ant-api03-Qm7vX2pL9sK4tR8wE1yU5iO3aD6fG0hJkZcVbNmL-x7Yq2wAA",
      "AKIAZ3MXQ7PLK2W9RT4N",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz8Xq2RtY7Q",
      "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
      "Tr0ub4dor&3xyz",
      "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
      "jenkins.build.corp",
      "10.20.30.40",
      "glpat-x7Ab9Cd2Ef4Gh6Ij8Kl0",
  };
  std::string file;

  explicit Planted(const fs::path &dir) {
    const std::string sid = "5e3c0d1a-7b2f-4c8e-9a6d-1f2e3d4c5b6a";
    auto rec = [&](json r) {
      r["sessionId"] = sid;
      r["cwd"] = "/w/app";
      r["timestamp"] = "2026-01-02T03:04:05Z";
      return r.dump() + "\n";
    };
    std::string text;
    text += rec({{"type", "user"},
                 {"uuid", "u1"},
                 {"parentUuid", nullptr},
                 {"message",
                  {{"role", "user"},
                   {"content",
                    "deploy with key " + secrets[0] + " to https://" + secrets[6] + "/job/7"}}}});
    text +=
        rec({{"type", "assistant"},
             {"uuid", "a1"},
             {"parentUuid", "u1"},
             {"message",
              {{"role", "assistant"},
               {"content",
                json::array({
                    {{"type", "tool_use"},
                     {"id", "t1"},
                     {"name", "Bash"},
                     {"input", {{"command", "aws configure set aws_access_key_id " + secrets[1]}}}},
                })}}}});
    text += rec(
        {{"type", "user"},
         {"uuid", "u2"},
         {"parentUuid", "a1"},
         {"message",
          {{"role", "user"},
           {"content", json::array({{{"type", "tool_result"},
                                     {"tool_use_id", "t1"},
                                     {"content", "aws_secret_access_key = " + secrets[2] +
                                                     "\nssh 10.20.30.40"}}})}}},
         {"toolUseResult", {{"stdout", "aws_secret_access_key = " + secrets[2]}, {"stderr", ""}}}});
    text += rec({{"type", "assistant"},
                 {"uuid", "a2"},
                 {"parentUuid", "u2"},
                 {"message",
                  {{"role", "assistant"},
                   {"content", json::array({{{"type", "tool_use"},
                                             {"id", "t2"},
                                             {"name", "Read"},
                                             {"input", {{"file_path", "/w/app/.env"}}}}})}}}});
    text +=
        rec({{"type", "user"},
             {"uuid", "u3"},
             {"parentUuid", "a2"},
             {"message",
              {{"role", "user"},
               {"content", json::array({{{"type", "tool_result"},
                                         {"tool_use_id", "t2"},
                                         {"content", "1\tGITHUB_TOKEN=" + secrets[3] +
                                                         "\n2\tDB_PASSWORD=" + secrets[4]}}})}}},
             {"toolUseResult",
              {{"type", "text"},
               {"file",
                {{"filePath", "/w/app/.env"},
                 {"content", "GITHUB_TOKEN=" + secrets[3] + "\nDB_PASSWORD=" + secrets[4]}}}}}});
    text +=
        rec({{"type", "assistant"},
             {"uuid", "a3"},
             {"parentUuid", "u3"},
             {"message",
              {{"role", "assistant"},
               {"content",
                json::array({{{"type", "tool_use"},
                              {"id", "t3"},
                              {"name", "Write"},
                              {"input",
                               {{"file_path", "/w/app/id_ed25519"},
                                {"content", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + secrets[5] +
                                                "\n-----END OPENSSH PRIVATE KEY-----\n"}}}}})}}}});
    text += rec({{"type", "brand-new-record"}, {"uuid", "x1"}, {"token", secrets[8]}});
    text += rec({{"type", "custom-title"}, {"customTitle", "rotate " + secrets[1]}});
    // A corrupt line holding a secret: its error message must not echo it.
    text += "{\"type\":\"user\",\"message\":\"" + secrets[8] + "\n";
    file = (dir / "projects" / "-w-app" / (sid + ".jsonl")).string();
    writeFile(file, text);
  }
};

std::string allDatabaseBytes(const std::string &db) {
  std::string all;
  for (const char *suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    if (fs::exists(db + suffix, ec))
      all += readFile(db + suffix);
  }
  return all;
}

} // namespace

TEST_CASE("redact: planted secrets land nowhere — database files, search, show, errors",
          "[redact]") {
  TempDir tmp;
  Planted planted(tmp.path());
  const std::string db = tmp / "mantra.db";
  auto idx = runMantra("--db " + shellQuote(db) + " index --json " + shellQuote(planted.file));
  REQUIRE(idx.exitCode == 0);
  CHECK(idx.json()["events"].get<int>() >= 6);
  CHECK(idx.json()["errors"].size() == 1); // the corrupt line, reported
  auto show = runMantra("--db " + shellQuote(db) + " show --json --all 5e3c");
  REQUIRE(show.exitCode == 0);
  auto showHuman = runMantra("--db " + shellQuote(db) + " show --all --full 5e3c");
  auto sessions = runMantra("--db " + shellQuote(db) + " sessions --json");
  const std::string bytes = allDatabaseBytes(db);
  REQUIRE(bytes.size() > 4096);
  for (const auto &s : planted.secrets) {
    INFO(s);
    CHECK(!contains(bytes, s));
    CHECK(!contains(idx.out + idx.err, s));
    CHECK(!contains(show.out + show.err, s));
    CHECK(!contains(showHuman.out, s));
    CHECK(!contains(sessions.out, s));
    auto search = runMantra("--db " + shellQuote(db) + " search --json --by-event " +
                            shellQuote("\"" + s + "\""));
    // The query is echoed back redacted by the built-in rules; a value that is only a secret
    // in context (a bare password) is the user's own input, so only the hits are checked.
    REQUIRE(search.exitCode == 0);
    CHECK(search.json()["hits"].empty());
  }
  // What was redacted is still findable by the rule that took it.
  auto byRule = runMantra("--db " + shellQuote(db) + " search --json --by-event REDACTED github");
  REQUIRE(byRule.exitCode == 0);
  CHECK(!byRule.json()["hits"].empty());
  CHECK(contains(show.out, "[REDACTED:aws-access-key-id]"));
}

TEST_CASE("redact: a rule added later is applied by redact --rescan", "[redact]") {
  TempDir tmp;
  const std::string db = tmp / "mantra.db";
  const std::string secret = "PROJ-SECRET-778899";
  const auto file = tmp.path() / "projects" / "-w" / "0b1c2d3e-0000-4000-8000-000000000001.jsonl";
  writeFile(file, json({{"type", "user"},
                        {"sessionId", "0b1c2d3e-0000-4000-8000-000000000001"},
                        {"parentUuid", nullptr},
                        {"message", {{"role", "user"}, {"content", "the code is " + secret}}}})
                          .dump() +
                      "\n" +
                      // A file written with the code in it: its content lands in the timeline.
                      json({{"type", "assistant"},
                            {"sessionId", "0b1c2d3e-0000-4000-8000-000000000001"},
                            {"cwd", "/w"},
                            {"message",
                             {{"role", "assistant"},
                              {"content", json::array({{{"type", "tool_use"},
                                                        {"id", "toolu_1"},
                                                        {"name", "Write"},
                                                        {"input",
                                                         {{"file_path", "/w/code.txt"},
                                                          {"content", secret + "\n"}}}}})}}}})
                          .dump() +
                      "\n");
  REQUIRE(runMantra("--db " + shellQuote(db) + " index " + shellQuote(file.string())).exitCode ==
          0);
  REQUIRE(contains(runMantra("--db " + shellQuote(db) + " file 0b1c 2 code.txt").out, secret));
  REQUIRE(contains(runMantra("--db " + shellQuote(db) + " search --json --by-event 778899").out,
                   secret));

  auto rescan =
      runMantra("--db " + shellQuote(db) +
                " redact --rescan --json --redact-pattern 'proj-code=PROJ-SECRET-[0-9]+'");
  REQUIRE(rescan.exitCode == 0);
  CHECK(rescan.json()["events"] == 2);
  CHECK(rescan.json()["sessions"] == 1); // the title came from the prompt
  CHECK(contains(runMantra("--db " + shellQuote(db) + " file 0b1c 2 code.txt").out,
                 "[REDACTED:proj-code]"));
  CHECK(!contains(allDatabaseBytes(db), secret));
  CHECK(!contains(allDatabaseBytes(db), "778899"));
  auto after = runMantra("--db " + shellQuote(db) + " search --json --by-event proj");
  CHECK(contains(after.out, "[REDACTED:proj-code]"));
  CHECK(runMantra("--db " + shellQuote(db) + " search --json --by-event 778899")
            .json()["hits"]
            .empty());
}

TEST_CASE("redact: scan reports where, never what", "[redact]") {
  TempDir tmp;
  writeFile(tmp.path() / "notes.txt", "line one\nkey AKIAZ3MXQ7PLK2W9RT4N here\n");
  writeFile(tmp.path() / "s.jsonl",
            "{\"a\":1}\n" + json({{"t", "x ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"}}).dump() +
                "\n");
  auto r = runMantra("scan --json " + shellQuote(tmp.path().string()));
  REQUIRE(r.exitCode == 0);
  CHECK(!contains(r.out, "AKIAZ3MXQ7PLK2W9RT4N"));
  CHECK(!contains(r.out, "ghp_aBcDe"));
  const json j = r.json();
  REQUIRE(j["findings"].size() == 2);
  for (const auto &f : j["findings"]) {
    if (f["rule"] == "aws-access-key-id") {
      CHECK(f["line"] == 2);
      CHECK(f["column"] == 5);
      CHECK(f["length"] == 20);
    } else {
      CHECK(f["rule"] == "github-token");
      CHECK(f["line"] == 2);
      CHECK(f["column"] == 9);
    }
  }
  CHECK(j["files"] == 2);
}
