// The Cline adapter end to end through the Indexer into a real SQLite file, on hand-made tasks
// (tests/fixtures/cline/globalStorage: a Cline task with XML tool calls, its ui_messages.json,
// task_metadata.json and the extension's state/taskHistory.json; an older task with only its
// ui_messages.json; a Roo Code task with native tool_use blocks), a task that grows and is
// rewritten in place, a truncated one, and the other viewers' samples in
// ../shared/fixtures/real/cline.
#include "IndexSupport.h"
#include "TestSupport.h"
#include "ingest/ClineAdapter.h"
#include "ingest/Indexer.h"
#include "timeline/Timeline.h"

#include <catch2/catch.hpp>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

using Env = IndexEnv;

const std::string kTask = "cline:1760600000000";
const std::string kRoo = "cline:0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b";
const std::string kOld = "cline:1759000000000";
const std::string kProject = "/home/dev/todo";
const std::string kTaskDir = "globalStorage/saoudrizwan.claude-dev/tasks/1760600000000";

std::vector<std::string> texts(const std::vector<Event> &events, EventKind k) {
  std::vector<std::string> out;
  for (const auto &e : events)
    if (e.kind == k)
      out.push_back(e.text);
  return out;
}

std::vector<const Event *> ofKind(const std::vector<Event> &events, EventKind k) {
  std::vector<const Event *> out;
  for (const auto &e : events)
    if (e.kind == k)
      out.push_back(&e);
  return out;
}

std::vector<std::string> shape(const std::vector<Event> &events) {
  std::vector<std::string> out;
  for (const auto &e : events)
    out.push_back(std::to_string(e.seq) + "|" + std::string(toString(e.kind)) + "|" + e.tool + "|" +
                  e.text + "|" + (e.exitCode ? std::to_string(*e.exitCode) : "-") + "|" +
                  e.data.dump());
  return out;
}

fs::path copyFixtures(const fs::path &to) {
  return copyTree(fixture("cline/globalStorage"), to / "globalStorage");
}

} // namespace

TEST_CASE("Cline: tasks end to end — XML and native tool calls, edits replayed", "[cline]") {
  Env env;
  const fs::path root = copyFixtures(env.tmp.path());
  auto r = env.index({root.string()});
  for (const auto &e : r.errors)
    INFO(e.file << ":" << e.line << ": " << e.message);
  CHECK(r.errors.empty());
  CHECK(r.unknown == 0);
  CHECK(r.totals.sessions == 3);

  // The Cline task: project and title from taskHistory.json, model and version from
  // task_metadata.json, times from ui_messages.json.
  auto s = env.store->session(kTask);
  REQUIRE(s);
  CHECK(s->agent == "cline");
  CHECK(s->project == kProject);
  CHECK(s->title == "Add a CLI flag --done to todo.py that lists only finished items");
  CHECK(s->model == "anthropic/claude-sonnet-4.5");
  CHECK(s->version == "3.32.7");
  REQUIRE(s->started);
  CHECK(*s->started == 1760600000000);
  const auto events = env.events(kTask);
  CHECK(texts(events, EventKind::User) ==
        std::vector<std::string>{"Add a CLI flag --done to todo.py that lists only finished items",
                                 "show how many items are done at the end"});
  CHECK(texts(events, EventKind::Reasoning) ==
        std::vector<std::string>{"I need to see how todo.py prints the items before changing it."});
  REQUIRE(events.front().time);
  CHECK(*events.front().time == 1760600000400); // the first request
  for (const auto &e : events)
    CHECK(e.text.find("environment_details") == std::string::npos);

  const auto shells = ofKind(events, EventKind::Shell);
  REQUIRE(shells.size() == 2);
  CHECK(shells[0]->command == "python3 todo.py --done");
  CHECK(shells[0]->text == "[x] buy milk");
  CHECK(shells[0]->data["cwd"] == kProject);
  CHECK(shells[1]->command == "python3 todo.py --done | wc -l");

  const auto edits = ofKind(events, EventKind::Edit);
  REQUIRE(edits.size() == 2);
  CHECK(edits[0]->tool == "replace_in_file");
  CHECK(edits[0]->data["changes"][0]["op"] == "replace");
  CHECK(edits[0]->data["changes"][0]["edits"][0]["old"] ==
        "def main():\n    for item in load():\n");
  CHECK(edits[0]->data["result"]["changes"][0]["op"] == "write");
  CHECK(edits[1]->tool == "write_to_file");
  CHECK(edits[1]->path == "README.md");
  // The read of todo.py is the base; the edit applies on it and agrees with what Cline saved.
  auto f = timeline::fileAt(*env.store, *s, edits[0]->seq, kProject + "/todo.py");
  REQUIRE(f);
  REQUIRE(f->content);
  CHECK(f->content->find("only_done = \"--done\" in sys.argv") != std::string::npos);
  CHECK(f->exact);
  auto before = timeline::fileAt(*env.store, *s, edits[0]->seq - 1, kProject + "/todo.py");
  REQUIRE(before);
  CHECK(before->base == "read");
  auto readme = timeline::fileAt(*env.store, *s, edits[1]->seq, kProject + "/README.md");
  REQUIRE(readme);
  REQUIRE(readme->content);
  CHECK(*readme->content ==
        "# todo\n\n`python3 todo.py` lists the items; `--done` only the finished ones.\n");
  bool completion = false;
  for (const auto &e : events)
    completion = completion || (e.kind == EventKind::ToolCall && e.tool == "attempt_completion" &&
                                e.text.find("Added `--done`") != std::string::npos);
  CHECK(completion);

  // Roo Code: native tool_use blocks, exit codes in the results, apply_diff's blocks.
  auto roo = env.store->session(kRoo);
  REQUIRE(roo);
  CHECK(roo->version == "roo-code");
  CHECK(roo->project == kProject); // from the environment details
  CHECK(roo->title == "Make the tests pass");
  const auto rooEvents = env.events(kRoo);
  std::vector<int> codes;
  for (const auto *e : ofKind(rooEvents, EventKind::Shell)) {
    REQUIRE(e->exitCode);
    codes.push_back(*e->exitCode);
  }
  CHECK(codes == std::vector<int>{1, 0});
  CHECK(ofKind(rooEvents, EventKind::Shell)[0]->isError);
  CHECK(ofKind(rooEvents, EventKind::Shell)[0]->text.find("1 failed") != std::string::npos);
  const auto diff = ofKind(rooEvents, EventKind::Edit);
  REQUIRE(diff.size() == 1);
  CHECK(diff[0]->data["changes"][0]["edits"][0]["old"] ==
        "        if only_done and not item[\"done\"]:\n");
  for (const auto &e : rooEvents)
    CHECK(e.kind != EventKind::ToolResult); // every result found its call

  // A task with only its panel messages.
  auto old = env.store->session(kOld);
  REQUIRE(old);
  CHECK(old->project == kProject);
  const auto oldEvents = env.events(kOld);
  CHECK(texts(oldEvents, EventKind::User) == std::vector<std::string>{"List the files"});
  REQUIRE(ofKind(oldEvents, EventKind::Shell).size() == 1);
  CHECK(ofKind(oldEvents, EventKind::Shell)[0]->text == "todo.json\ntodo.py");

  auto again = env.index({root.string()});
  CHECK(again.eventsAdded == 0);
  CHECK(again.filesRead == 0);
}

TEST_CASE("Cline: a task rewritten as it grows is read again without duplicates", "[cline]") {
  const json full =
      json::parse(readFile(fixture("cline/" + kTaskDir + "/api_conversation_history.json")));
  Env env;
  const fs::path root = copyFixtures(env.tmp.path());
  const fs::path api = env.tmp.path() / kTaskDir / "api_conversation_history.json";
  json partial = full;
  partial.erase(partial.begin() + 5, partial.end()); // up to the edit's result
  writeFile(api, partial.dump());
  auto r1 = env.index({root.string()});
  CHECK(r1.errors.empty());
  const auto first = env.events(kTask);
  CHECK(ofKind(first, EventKind::Shell).empty());

  writeFile(api, full.dump(2)); // the whole task, written in another layout
  auto r2 = env.index({root.string()});
  CHECK(r2.errors.empty());
  Env ref;
  ref.index({copyFixtures(ref.tmp.path()).string()});
  CHECK(shape(env.events(kTask)) == shape(ref.events(kTask)));
  CHECK(r2.totals.events == r1.totals.events - static_cast<int64_t>(first.size()) +
                                static_cast<int64_t>(ref.events(kTask).size()));

  // Cut off while Cline writes it: said so, and what the store had stays.
  const std::string text = full.dump();
  writeFile(api, text.substr(0, text.size() / 2));
  auto r3 = env.index({root.string()});
  REQUIRE(r3.errors.size() == 1);
  CHECK(r3.errors[0].file == fs::absolute(api).lexically_normal().string());
  CHECK(r3.totals.events == r2.totals.events);
  CHECK(shape(env.events(kTask)) == shape(ref.events(kTask)));
}

TEST_CASE("Cline: which files are its own", "[cline]") {
  ClineAdapter a;
  TempDir tmp;
  writeFile(tmp.path() / "tasks" / "1" / "api_conversation_history.json", "[]");
  writeFile(tmp.path() / "tasks" / "1" / "ui_messages.json", "[]");
  writeFile(tmp.path() / "tasks" / "2" / "ui_messages.json", "[{\"ts\":1,\"say\":\"task\"}]");
  CHECK(a.claims(tmp.path() / "tasks" / "1" / "api_conversation_history.json", "[{") == 8);
  CHECK(a.claims(tmp.path() / "tasks" / "1" / "ui_messages.json", "[{\"say\"") == 0);
  CHECK(a.claims(tmp.path() / "tasks" / "2" / "ui_messages.json", "[{\"ts\":1,\"say\"") == 6);
  CHECK(a.claims(tmp.path() / "tasks" / "1" / "task_metadata.json", "{") == 0);
  CHECK(a.claims("/x/sessions/s1/s1.messages.json", "{\"messages\":[{\"role\"") == 6);
  // Found by content among the other agents too.
  std::vector<FileProblem> problems;
  auto files = Indexer::discoverFiles(makeAdapters(), {tmp.path().string()}, problems);
  REQUIRE(files.size() == 2);
  for (const auto &f : files)
    CHECK(f.agent == "cline");
}

TEST_CASE("Cline: the shared real samples parse without errors", "[cline]") {
  const fs::path dir = sharedReal("cline");
  if (dir.empty()) {
    WARN("../shared/fixtures/real/cline not found: skipped");
    return;
  }
  Env env;
  auto r = env.index({dir.string()});
  for (const auto &e : r.errors)
    INFO(e.file << ":" << e.line << ": " << e.message);
  CHECK(r.errors.empty());
  CHECK(r.unknown == 1); // cass's simplified {type, text} record, kept as meta
  CHECK(r.totals.sessions == 3);
  auto legacy = env.store->session("cline:1767225600000");
  REQUIRE(legacy);
  CHECK(legacy->project == "/home/example/work/demo");
  CHECK(legacy->title == "Say hello");
  CHECK(legacy->model == "synthetic-model");
  const auto events = env.events(legacy->id);
  CHECK(texts(events, EventKind::User) == std::vector<std::string>{"Say hello"});
  CHECK(texts(events, EventKind::Assistant) == std::vector<std::string>{"Hello!"});
  auto modern = env.store->session("cline:session_synthetic_01");
  REQUIRE(modern);
  CHECK(modern->title == "Synthetic parser example");
  CHECK(modern->project == "/home/example/work/demo");
  const auto m = env.events(modern->id);
  CHECK(texts(m, EventKind::User) == std::vector<std::string>{"Say hello"});
  CHECK(texts(m, EventKind::Reasoning) == std::vector<std::string>{"hidden"});
  REQUIRE(m.back().time);
  CHECK(*m.back().time == 1767225603000);
}
