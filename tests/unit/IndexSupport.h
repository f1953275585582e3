// A fresh database and the Indexer over it, for the tests that index files end to end.
#pragma once

#include "TestSupport.h"
#include "ingest/Indexer.h"

#include <catch2/catch.hpp>

namespace mantra::test {

struct IndexEnv {
  TempDir tmp;
  std::unique_ptr<Store> store;
  Redactor redactor;
  IndexEnv() {
    auto s = Store::open((tmp.path() / "db" / "mantra.db").string());
    REQUIRE(s);
    store = std::move(*s);
  }
  IndexReport index(const std::vector<std::string> &paths) {
    Indexer ix(*store, redactor, makeAdapters());
    auto r = ix.run(paths);
    REQUIRE(r);
    return *r;
  }
  std::vector<Event> events(const std::string &id) {
    auto e = store->events(id, 1, INT64_MAX);
    REQUIRE(e);
    return *e;
  }
};

} // namespace mantra::test
