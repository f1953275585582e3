// mantra://<session-id>/<seq>/<path>: how a file as it stood after a step is addressed (the
// editors open such URIs as read-only documents). The path is relative to the session's project
// when inside it, else absolute (then the URI has "//" before it). Clients may percent-encode
// any part (VS Code encodes ':' in the authority as %3A); parsing decodes it.
#pragma once

#include "util/Expected.h"

#include <cstdint>
#include <string>

namespace mantra::timeline {

struct FileUri {
  std::string session;
  int64_t seq = 0;
  std::string path;
};

// Parses a mantra:// URI; the error names what is wrong ("expected
// mantra://<session>/<seq>/<path>").
Expected<FileUri> parseFileUri(const std::string &uri);
// Builds the URI, percent-encoding what needs it (space, %, #, ?, non-ASCII bytes stay as is).
std::string fileUri(const std::string &session, int64_t seq, const std::string &path);

} // namespace mantra::timeline
