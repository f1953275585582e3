// Checks shared by the adapter tests: the normalized keys (data.changes, data.read) have the
// shape model/Model.h gives, and a generated session's changes replay, turn by turn, to the files
// EXPECTED.json records (with the timeline's own patch functions).
#pragma once

#include "TestSupport.h"
#include "model/Model.h"
#include "timeline/Patch.h"

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>

namespace mantra::test {

using nlohmann::json;

// One data.changes entry has the shape model/Model.h gives.
inline void checkChangeShape(const json &c) {
  INFO(c.dump());
  REQUIRE(c.is_object());
  auto is = [&](const char *k, json::value_t t) { return c.contains(k) && c[k].type() == t; };
  REQUIRE(is("path", json::value_t::string));
  CHECK(c["path"].get<std::string>().rfind('/', 0) == 0);
  const std::string op = c.value("op", "");
  if (op == "write") {
    CHECK(is("content", json::value_t::string));
  } else if (op == "replace") {
    REQUIRE(is("edits", json::value_t::array));
    CHECK_FALSE(c["edits"].empty());
    for (const auto &ed : c["edits"]) {
      CHECK((ed.value("old", json()).is_string() && ed.value("new", json()).is_string() &&
             ed.value("all", json()).is_boolean()));
      if (ed.contains("count"))
        CHECK(ed["count"].is_number_integer());
    }
  } else if (op == "unified") {
    REQUIRE(is("diff", json::value_t::string));
    const std::string d = c["diff"];
    CHECK((d.empty() || d.rfind("@@ -", 0) == 0));
  } else if (op == "patch") {
    CHECK(is("patch", json::value_t::string));
  } else if (op == "notebook") {
    CHECK(is("source", json::value_t::string));
    CHECK(is("mode", json::value_t::string));
  } else if (op == "unknown") {
    CHECK(is("reason", json::value_t::string));
  } else {
    CHECK(op == "delete");
  }
  if (c.contains("to"))
    CHECK(c["to"].get<std::string>().rfind('/', 0) == 0);
  if (c.contains("before"))
    CHECK((c["before"].is_string() || c["before"].is_null()));
  if (c.contains("after"))
    CHECK(c["after"].is_string());
}

inline void checkReadShape(const json &rd) {
  INFO(rd.dump());
  REQUIRE(rd.is_object());
  REQUIRE(rd.value("path", json()).is_string());
  REQUIRE(rd.value("content", json()).is_string());
  REQUIRE(rd.value("complete", json()).is_boolean());
}

// The files EXPECTED.json gives after `turn` (0 = before the session), by absolute path;
// nullopt when the file does not exist.
using Files = std::map<std::string, std::optional<std::string>>;
inline Files filesAt(const json &exp, int turn) {
  static const char *kKeys[] = {"before", "after_turn_1", "after_turn_2", "after_turn_3"};
  Files out;
  for (const auto &[rel, states] : exp["files"].items()) {
    const json &v = states[kKeys[turn]];
    out[exp["cwd"].get<std::string>() + "/" + rel] =
        v.is_string() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt;
  }
  return out;
}

// Applies one change with the timeline's own functions; what failed, or "".
inline std::string apply(Files &files, const json &c) {
  const std::string path = c.at("path"), op = c.value("op", "");
  std::optional<std::string> &f = files[path];
  if (op == "write") {
    f = c.at("content").get<std::string>();
  } else if (op == "delete") {
    f.reset();
  } else {
    if (!f)
      return "no file " + path;
    timeline::ApplyResult r;
    if (op == "replace") {
      r.ok = true;
      r.content = *f;
      for (const auto &ed : c.at("edits")) {
        std::optional<int> count;
        if (ed.contains("count"))
          count = ed.at("count").get<int>();
        r = timeline::applyReplace(r.content, ed.at("old").get<std::string>(),
                                   ed.at("new").get<std::string>(), ed.at("all").get<bool>(),
                                   count);
        if (!r.ok)
          break;
      }
    } else if (op == "unified") {
      r = timeline::applyUnifiedDiff(*f, c.at("diff").get<std::string>());
    } else if (op == "patch") {
      r = timeline::applyContextPatch(*f, c.at("patch").get<std::string>());
    } else {
      return "cannot replay op " + op;
    }
    if (!r.ok)
      return r.error;
    f = std::move(r.content);
  }
  if (c.contains("to")) {
    files[c.at("to").get<std::string>()] = files[path];
    files[path].reset();
  }
  return "";
}

struct Walk {
  int edits = 0, resultChanges = 0, befores = 0, reads = 0, turnChecks = 0;
};

// Replays a generated session's steps turn by turn: each edit's request changes and (when
// recorded) result changes apply cleanly and agree, every "before" and every complete read is
// the file as it was at that moment, and each turn ends with the files EXPECTED.json gives.
// Files are reset to EXPECTED's state at the start of each turn (shell commands such as
// `git mv` change files outside any edit).
inline Walk replay(const json &exp, const std::vector<Event> &events) {
  Walk w;
  int turn = 0;
  Files cur = filesAt(exp, 0);
  std::set<std::string> touched;
  auto endTurn = [&] {
    const Files want = filesAt(exp, turn);
    for (const auto &p : touched) {
      INFO("turn " << turn << ": " << p);
      CHECK(cur[p] == want.at(p));
      ++w.turnChecks;
    }
    touched.clear();
  };
  for (const Event &e : events) {
    if (e.kind == EventKind::User) {
      endTurn();
      cur = filesAt(exp, turn++);
      continue;
    }
    INFO("step: " << e.tool << " " << e.path);
    if (e.kind == EventKind::Edit) {
      ++w.edits;
      REQUIRE(e.data.contains("changes"));
      const json &req = e.data["changes"];
      REQUIRE(req.is_array());
      REQUIRE_FALSE(req.empty());
      Files viaRequest = cur;
      for (const auto &c : req) {
        checkChangeShape(c);
        CHECK(apply(viaRequest, c).empty());
        touched.insert(c["path"].get<std::string>());
        if (c.contains("to"))
          touched.insert(c["to"].get<std::string>());
      }
      const json *res = e.data.contains("result") && e.data["result"].contains("changes")
                            ? &e.data["result"]["changes"]
                            : nullptr;
      if (!res || res->empty()) {
        cur = std::move(viaRequest);
        continue;
      }
      ++w.resultChanges;
      for (const auto &c : *res) {
        checkChangeShape(c);
        if (c.contains("before")) {
          ++w.befores;
          const auto &before = cur[c["path"].get<std::string>()];
          CHECK(c["before"].is_string() == before.has_value());
          if (c["before"].is_string() && before)
            CHECK(c["before"].get<std::string>() == *before);
        }
        CHECK(apply(cur, c).empty());
        touched.insert(c["path"].get<std::string>());
        if (c.contains("to"))
          touched.insert(c["to"].get<std::string>());
      }
      for (const auto &c : req) // the request says the same as what was applied
        for (const char *k : {"path", "to"})
          if (c.contains(k))
            CHECK(viaRequest[c[k].get<std::string>()] == cur[c[k].get<std::string>()]);
    }
    const json *rd = nullptr;
    if (e.data.contains("read"))
      rd = &e.data["read"];
    else if (e.data.contains("result") && e.data["result"].contains("read"))
      rd = &e.data["result"]["read"];
    if (rd) {
      ++w.reads;
      checkReadShape(*rd);
      CHECK((*rd)["complete"] == true);
      const auto &now = cur[(*rd)["path"].get<std::string>()];
      REQUIRE(now);
      CHECK((*rd)["content"].get<std::string>() == *now);
    }
  }
  endTurn();
  return w;
}

} // namespace mantra::test
