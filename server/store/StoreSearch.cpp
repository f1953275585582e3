// The search vocabulary: the identifiers the stored steps hold — words written in camelCase or
// snake_case, or mixing letters and digits (`reconnectWebSocket`, `test_job_runs_once`,
// `socketReconnect1234`) — once each, lowercased, with an FTS5 trigram index over them
// (`idents`, `idents_fts`; schema 4). search/Plan.cpp looks a part of an identifier up there
// ("reconnectWebS") and searches the main index for the whole words it finds
// ("reconnectwebsocket"), so the substring index costs a vocabulary, not a second copy of the
// text (on the 20 MB bench corpus: 14,000 words, about 1 MB). Plain words are left out: they are
// most of the text, a prefix search finds them, and scanning them was most of the cost. Words
// only ever join while indexing: a word whose steps went away (a re-read file) finds nothing in
// the main index, which is harmless; `redact --rescan` rebuilds it (purge), so no word of a
// replaced text survives here either.
#include "store/Store.h"

#include <algorithm>

namespace mantra {
namespace {

constexpr size_t kMinWord = 3, kMaxWord = 48;
constexpr size_t kKnownSlots = 1 << 16; // 512 KiB of hashes (near the cache); emptied at half full

// Finds `h` in the table of known words, or the empty slot where it goes.
uint64_t *knownSlot(std::vector<uint64_t> &table, uint64_t h) {
  size_t i = (h ^ (h >> 29)) & (kKnownSlots - 1);
  while (table[i] != 0 && table[i] != h)
    i = (i + 1) & (kKnownSlots - 1);
  return &table[i];
}

// Whether an identifier is worth a place: not a hash, a number or an id (hex runs, mostly
// digits) — those are unique by nature, would grow the vocabulary without end, and are searched
// whole anyway.
bool keep(std::string_view w) {
  size_t digits = 0, hex = 0;
  for (unsigned char c : w) {
    const bool digit = c >= '0' && c <= '9';
    digits += digit;
    hex += digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
  if (digits * 2 > w.size())
    return false;
  const bool prefixed = w.size() > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X'); // 0x1f2e…
  return !(w.size() >= 7 && digits > 0 && hex + (prefixed ? 1 : 0) == w.size());
}

// Byte classes for the scan below: one table lookup per byte instead of a chain of compares.
enum : uint8_t { kWord = 1, kLower = 2, kUpper = 4, kDigit = 8, kUnderscore = 16, kOther = 32 };

struct ByteClasses {
  uint8_t cls[256] = {};
  constexpr ByteClasses() {
    for (int c = 0; c < 256; ++c) {
      if (c >= 'a' && c <= 'z')
        cls[c] = kWord | kLower;
      else if (c >= 'A' && c <= 'Z')
        cls[c] = kWord | kUpper;
      else if (c >= '0' && c <= '9')
        cls[c] = kWord | kDigit;
      else if (c == '_')
        cls[c] = kWord | kUnderscore;
      else if (c >= 0x80)
        cls[c] = kWord | kOther;
    }
  }
};
constexpr ByteClasses kClasses;

// Calls `fn(hash, word, buf)` for each identifier of `text` (see the top of this file; the same
// rule as search/Plan.cpp's identifierLike) with a 64-bit FNV-1a hash of it lowercased (ASCII).
// A single pass over the bytes: plain words cost no allocation and no lookup.
template <typename F> void forEachIdent(std::string_view text, std::string &buf, F &&fn) {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    while (i < n && !(kClasses.cls[p[i]] & kWord))
      ++i;
    const size_t start = i;
    unsigned seen = 0;
    bool camel = false;
    uint64_t h = 1469598103934665603ull;
    for (; i < n; ++i) {
      const uint8_t k = kClasses.cls[p[i]];
      if (!(k & kWord))
        break;
      camel = camel || ((k & kUpper) && (seen & kLower));
      seen |= k;
      h = (h ^ static_cast<unsigned char>(p[i] | ((k & kUpper) ? 0x20 : 0))) * 1099511628211ull;
    }
    const size_t len = i - start;
    const bool letter = seen & (kLower | kUpper | kOther);
    if (len < kMinWord || len > kMaxWord || !(camel || (letter && (seen & (kUnderscore | kDigit)))))
      continue;
    const std::string_view w = text.substr(start, len);
    if (!keep(w))
      continue;
    fn(h, w, buf);
  }
}

} // namespace

Status Store::identsAdd(const Event &e) {
  auto *find = db_.cached("SELECT 1 FROM idents WHERE word = ?");
  auto *add = db_.cached("INSERT INTO idents(word) VALUES(?)");
  auto *index = db_.cached("INSERT INTO idents_fts(rowid, word) VALUES(?, ?)");
  if (!find || !add || !index)
    return db_.lastError("store: search vocabulary");
  Status status;
  std::string buf;
  if (identsKnown_.empty())
    identsKnown_.assign(kKnownSlots, 0);
  auto one = [&](uint64_t hash, std::string_view word, std::string &w) {
    hash = hash ? hash : 1; // 0 marks an empty slot
    uint64_t *slot = knownSlot(identsKnown_, hash);
    if (!status || *slot == hash)
      return;
    w.assign(word);
    for (char &c : w)
      if (c >= 'A' && c <= 'Z')
        c = static_cast<char>(c - 'A' + 'a');
    find->bind(1, w);
    const bool present = find->step();
    find->reset();
    if (!present) {
      add->bind(1, w);
      if (auto r = add->run(); !r) {
        status = r;
        return;
      }
      index->bind(1, db_.lastInsertId()).bind(2, w);
      if (auto r = index->run(); !r) {
        status = r;
        return;
      }
    }
    if (identsCount_ >= kKnownSlots / 2) {
      std::fill(identsKnown_.begin(), identsKnown_.end(), 0);
      identsCount_ = 0;
      slot = knownSlot(identsKnown_, hash);
    }
    *slot = hash;
    ++identsCount_;
  };
  for (const std::string *field : {&e.text, &e.command, &e.path})
    forEachIdent(*field, buf, one);
  return status;
}

Status Store::rebuildIdents() {
  identsKnown_.clear();
  identsCount_ = 0;
  if (auto st = db_.exec("DELETE FROM idents; "
                         "INSERT INTO idents_fts(idents_fts) VALUES('delete-all');");
      !st)
    return st;
  auto read = db_.prepare("SELECT text, command, path FROM events");
  if (!read)
    return read.error();
  Event e;
  while (read->step()) {
    e.text = read->text(0);
    e.command = read->text(1);
    e.path = read->text(2);
    if (auto st = identsAdd(e); !st)
      return st;
  }
  if (read->failed())
    return db_.lastError("store: read events");
  return db_.exec("INSERT INTO idents_fts(idents_fts) VALUES('optimize')");
}

} // namespace mantra
