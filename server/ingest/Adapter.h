// The adapter interface: one implementation per agent, translating that agent's files into the
// normalized model (model/Model.h) and nothing else — no SQL, no redaction, no I/O beyond what
// the Indexer hands it. A new agent is one adapter file, one line in makeAdapters(), and a
// fixture folder.
#pragma once

#include "model/Model.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mantra {

// Where an adapter sends what it parsed. Implemented by the Indexer.
class Sink {
public:
  virtual ~Sink() = default;
  // Metadata about a session, as far as the current record tells it (merged by the receiver).
  virtual void session(const SessionInfo &info) = 0;
  // A new event, or — kind ToolResult with a callId — the result of an earlier call, which the
  // receiver merges into a shell or edit event or stores as its own tool_result step.
  virtual void event(Event &&e) = 0;
  virtual void titleHint(TitleHint &&hint) = 0;
  // A problem with one line that did not stop the file: "invalid JSON: …".
  virtual void problem(int64_t line, std::string message) = 0;
  // A record of a type the adapter does not know; it has been kept as a raw meta event.
  virtual void unknownRecord() = 0;
};

// Parses one source file, one complete line at a time, from where the last run stopped.
class FileParser {
public:
  virtual ~FileParser() = default;
  // `text` is one line without its newline; `lineNo` counts from 1 in the whole file.
  virtual void line(std::string_view text, int64_t lineNo, Sink &sink) = 0;
  // State to resume after the last line given, stored with the source. Small JSON.
  virtual nlohmann::json state() const = 0;
  // Line files: called once after the last complete line of a run (before state()), so a parser
  // that holds a block back until the line that ends it (Aider's Markdown) can emit what the
  // writer has evidently finished. Whatever it keeps back goes into state().
  virtual void endOfInput(Sink &sink) { (void)sink; }

  // What readSource() did.
  enum class Read {
    Done,      // everything new was emitted; state() is the position to resume from
    Rewritten, // something emitted by an earlier run changed: nothing was emitted; the Indexer
               // forgets every event of the source and calls readSource() again on a parser
               // opened with no state
    Retry,     // the source could not be read now (locked, being written): nothing was
               // emitted; the Indexer keeps the old state and tries again on its next run
  };
  // Sources the adapter reads itself (Adapter::readsItself): reads `path`, emits what is new
  // since the state the parser was opened with, and says how it went. Problems go to the Sink
  // (line 0 = the whole file, or a position the message names). Default: nothing to read.
  virtual Read readSource(const std::filesystem::path &path, Sink &sink) {
    (void)path;
    (void)sink;
    return Read::Done;
  }
};

class Adapter {
public:
  virtual ~Adapter() = default;
  // The agent's name on the CLI and the wire: "claude", "codex", …
  virtual std::string_view agent() const = 0;
  // Folders where this agent keeps sessions on this machine, honouring its environment
  // variables — or single session files, for an agent that keeps one file per project (Aider).
  // Paths that do not exist may be listed; the caller skips them.
  virtual std::vector<std::filesystem::path> roots() const = 0;
  // How sure the adapter is that `path` is one of its session files: 0 = not its file,
  // higher = surer. `head` holds the file's first bytes (up to 4 KiB).
  virtual int claims(const std::filesystem::path &path, std::string_view head) const = 0;
  // True when `path` is one JSON document rewritten in place (not an append-only log): the
  // Indexer then reads it whole whenever it changed, hands it to the parser as a single "line",
  // and replaces what it had read from it before. A document that does not parse (being
  // written) is left as it was until the next run.
  virtual bool wholeDocument(const std::filesystem::path &path) const {
    (void)path;
    return false;
  }
  // True when `path` is not read line by line but by the adapter itself (a SQLite database such
  // as Cursor's state.vscdb): the Indexer never reads its bytes, notices a change by the size
  // and mtime of the file and of its write-ahead log (`<path>-wal`), and calls
  // FileParser::readSource(), which must open it read-only and never block its writer.
  virtual bool readsItself(const std::filesystem::path &path) const {
    (void)path;
    return false;
  }
  // A parser for `path`, resuming from `state` (null for a new file). Never fails: problems are
  // reported line by line through the Sink.
  virtual std::unique_ptr<FileParser> open(const std::filesystem::path &path,
                                           const nlohmann::json &state) const = 0;
};

// The common start of a JSONL parser's line(): nullopt for a blank line, or — reported to the
// sink as a problem of line `lineNo` — for a line that is not JSON or, when `objectOnly`, not a
// JSON object. Otherwise the parsed value.
std::optional<nlohmann::json> parseRecordLine(std::string_view text, int64_t lineNo, Sink &sink,
                                              bool objectOnly = true);

// Every adapter Mantra ships, in a fixed order.
std::vector<std::unique_ptr<Adapter>> makeAdapters();

} // namespace mantra
