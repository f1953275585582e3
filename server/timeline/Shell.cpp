#include "timeline/Shell.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace mantra::timeline {
namespace fs = std::filesystem;

namespace {

bool isOperator(const std::string &w) {
  return w == "&&" || w == "||" || w == ";" || w == "|" || w == "&" || w == "\n";
}

bool isRedirect(const std::string &w) {
  return w == ">" || w == ">>" || w == ">|" || w == "&>" || w == "&>>" || w == "1>" || w == "1>>" ||
         w == "2>" || w == "2>>";
}

std::string absolute(const std::string &cwd, const std::string &p) {
  if (p.empty())
    return {};
  std::string s = p;
  if (s == "~" || s.rfind("~/", 0) == 0) {
    const char *home = std::getenv("HOME");
    if (!home)
      return {};
    s = std::string(home) + s.substr(1);
  }
  fs::path path(s);
  if (path.is_relative())
    path = fs::path(cwd) / path;
  std::string out = path.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  return out;
}

// Words of one simple command, without its redirections (collected apart).
struct Simple {
  std::vector<std::string> args;
  std::vector<std::string> writes; // redirection targets
};

std::vector<std::string> operands(const std::vector<std::string> &args, size_t from) {
  std::vector<std::string> out;
  bool endOfOptions = false;
  for (size_t i = from; i < args.size(); ++i) {
    if (!endOfOptions && args[i] == "--") {
      endOfOptions = true;
      continue;
    }
    if (!endOfOptions && args[i].size() > 1 && args[i][0] == '-')
      continue;
    out.push_back(args[i]);
  }
  return out;
}

bool hasFlag(const std::vector<std::string> &args, std::string_view longName, char shortName) {
  for (const auto &a : args) {
    if (a == longName)
      return true;
    if (shortName && a.size() > 1 && a[0] == '-' && a[1] != '-' &&
        a.find(shortName) != std::string::npos)
      return true;
  }
  return false;
}

void moveOrCopy(ShellEffect::Kind kind, const std::vector<std::string> &ops, const std::string &cwd,
                std::vector<ShellEffect> &out) {
  if (ops.size() < 2)
    return;
  const std::string dest = absolute(cwd, ops.back());
  std::error_code ec;
  const bool destIsDir = ops.size() > 2 || ops.back().back() == '/' || fs::is_directory(dest, ec);
  for (size_t i = 0; i + 1 < ops.size(); ++i) {
    ShellEffect e;
    e.kind = kind;
    e.from = absolute(cwd, ops[i]);
    e.to = destIsDir ? absolute(dest, fs::path(e.from).filename().string()) : dest;
    out.push_back(std::move(e));
  }
}

void effectsOf(const Simple &c, std::string &cwd, std::vector<ShellEffect> &out, int depth);

void effectsOfLine(std::string_view command, std::string &cwd, std::vector<ShellEffect> &out,
                   int depth) {
  const auto words = shellWords(command);
  Simple cur;
  auto flush = [&] {
    effectsOf(cur, cwd, out, depth);
    cur = {};
  };
  for (size_t i = 0; i < words.size(); ++i) {
    const auto &w = words[i];
    if (isOperator(w)) {
      flush();
    } else if (isRedirect(w)) {
      if (i + 1 < words.size())
        cur.writes.push_back(words[++i]);
    } else if (w == "<" || w == "<<" || w == "<<-" || w == "<<<" || w == ">&" || w == "2>&1") {
      if (w != "2>&1" && i + 1 < words.size())
        ++i;
    } else {
      cur.args.push_back(w);
    }
  }
  flush();
}

void effectsOf(const Simple &c, std::string &cwd, std::vector<ShellEffect> &out, int depth) {
  for (const auto &t : c.writes) {
    if (t == "/dev/null" || t.rfind("/dev/", 0) == 0 || t.rfind("&", 0) == 0)
      continue;
    out.push_back({ShellEffect::Kind::Write, absolute(cwd, t), {}, false});
  }
  std::vector<std::string> args = c.args;
  // Leading assignments (FOO=1 cmd) and wrappers that run the rest.
  size_t i = 0;
  while (i < args.size() && args[i].find('=') != std::string::npos && args[i][0] != '-' &&
         args[i][0] != '=')
    ++i;
  while (i < args.size() && (args[i] == "sudo" || args[i] == "command" || args[i] == "time" ||
                             args[i] == "nohup" || args[i] == "env"))
    ++i;
  args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
  if (args.empty())
    return;
  const std::string &cmd = args[0];
  if (cmd == "cd") {
    if (args.size() > 1)
      cwd = absolute(cwd, args[1]);
    return;
  }
  if ((cmd == "bash" || cmd == "sh" || cmd == "zsh") && depth < 3) {
    for (size_t k = 1; k + 1 < args.size(); ++k)
      if (args[k].size() > 1 && args[k][0] == '-' && args[k].find('c') != std::string::npos) {
        std::string inner = cwd;
        effectsOfLine(args[k + 1], inner, out, depth + 1);
        return;
      }
    return;
  }
  if (cmd == "mv") {
    moveOrCopy(ShellEffect::Kind::Move, operands(args, 1), cwd, out);
  } else if (cmd == "cp") {
    if (hasFlag(args, "--recursive", 'r') || hasFlag(args, "--recursive", 'R') ||
        hasFlag(args, "--archive", 'a')) {
      // A recursive copy: the destination's files are unknown from here.
      const auto ops = operands(args, 1);
      if (!ops.empty())
        out.push_back({ShellEffect::Kind::Write, absolute(cwd, ops.back()), {}, true});
      return;
    }
    moveOrCopy(ShellEffect::Kind::Copy, operands(args, 1), cwd, out);
  } else if (cmd == "rm" || cmd == "unlink") {
    const bool rec = hasFlag(args, "--recursive", 'r') || hasFlag(args, "--recursive", 'R');
    for (const auto &p : operands(args, 1))
      out.push_back({ShellEffect::Kind::Delete, absolute(cwd, p), {}, rec});
  } else if (cmd == "touch") {
    for (const auto &p : operands(args, 1))
      out.push_back({ShellEffect::Kind::Create, absolute(cwd, p), {}, false});
  } else if (cmd == "tee") {
    for (const auto &p : operands(args, 1))
      out.push_back({ShellEffect::Kind::Write, absolute(cwd, p), {}, false});
  } else if (cmd == "sed" || cmd == "perl") {
    bool inPlace = false;
    bool scriptGiven = false;
    std::vector<std::string> files;
    for (size_t k = 1; k < args.size(); ++k) {
      const auto &a = args[k];
      if (a == "-i" || a.rfind("-i", 0) == 0 || a == "--in-place" ||
          a.rfind("--in-place=", 0) == 0 ||
          (a.size() > 1 && a[0] == '-' && a[1] != '-' && a.find('i') != std::string::npos &&
           cmd == "perl")) {
        inPlace = true;
        if (a.find('e') != std::string::npos && cmd == "perl" && k + 1 < args.size()) {
          ++k;
          scriptGiven = true;
        }
      } else if (a == "-e" || a == "--expression" || a == "-f") {
        if (k + 1 < args.size())
          ++k;
        scriptGiven = true;
      } else if (a.size() > 1 && a[0] == '-') {
        continue;
      } else if (!scriptGiven) {
        scriptGiven = true;
      } else {
        files.push_back(a);
      }
    }
    if (inPlace)
      for (const auto &p : files)
        out.push_back({ShellEffect::Kind::Write, absolute(cwd, p), {}, false});
  } else if (cmd == "git" && args.size() > 1) {
    // Skip git's global options (-C dir, -c k=v).
    size_t k = 1;
    std::string gitCwd = cwd;
    while (k < args.size() && args[k][0] == '-') {
      if ((args[k] == "-C" || args[k] == "-c") && k + 1 < args.size()) {
        if (args[k] == "-C")
          gitCwd = absolute(cwd, args[k + 1]);
        ++k;
      }
      ++k;
    }
    if (k >= args.size())
      return;
    const std::string &sub = args[k];
    std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(k), args.end());
    if (sub == "mv") {
      moveOrCopy(ShellEffect::Kind::Move, operands(rest, 1), gitCwd, out);
    } else if (sub == "rm") {
      if (hasFlag(rest, "--cached", 0))
        return;
      const bool rec = hasFlag(rest, "-r", 'r');
      for (const auto &p : operands(rest, 1))
        out.push_back({ShellEffect::Kind::Delete, absolute(gitCwd, p), {}, rec});
    } else if (sub == "checkout" || sub == "restore") {
      // With paths (after `--`, or restore's operands) the named files change; a branch switch
      // may change every file.
      auto dash = std::find(rest.begin(), rest.end(), "--");
      if (dash != rest.end()) {
        for (auto it = dash + 1; it != rest.end(); ++it)
          out.push_back({ShellEffect::Kind::Write, absolute(gitCwd, *it), {}, true});
      } else if (sub == "restore") {
        for (const auto &p : operands(rest, 1))
          out.push_back({ShellEffect::Kind::Write, absolute(gitCwd, p), {}, true});
      } else {
        out.push_back({ShellEffect::Kind::Reset, gitCwd, {}, true});
      }
    } else if (sub == "stash" || sub == "reset" || sub == "apply" || sub == "am" ||
               sub == "merge" || sub == "rebase" || sub == "pull" || sub == "cherry-pick" ||
               sub == "revert" || sub == "switch") {
      if (sub == "reset" && !hasFlag(rest, "--hard", 0) && !hasFlag(rest, "--merge", 0) &&
          !hasFlag(rest, "--keep", 0))
        return; // a soft or mixed reset leaves the work tree alone
      if (sub == "stash" && rest.size() > 1 && (rest[1] == "list" || rest[1] == "show"))
        return;
      out.push_back({ShellEffect::Kind::Reset, gitCwd, {}, true});
    }
  } else if (cmd == "patch") {
    out.push_back({ShellEffect::Kind::Reset, cwd, {}, true});
  }
}

} // namespace

std::vector<std::string> shellWords(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool inWord = false;
  auto end = [&] {
    if (inWord)
      out.push_back(cur);
    cur.clear();
    inWord = false;
  };
  std::vector<std::string> heredocs; // delimiters whose bodies start at the next newline
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\'') {
      const size_t close = s.find('\'', i + 1);
      cur.append(s.substr(i + 1, close == std::string_view::npos ? s.npos : close - i - 1));
      inWord = true;
      i = close == std::string_view::npos ? s.size() : close + 1;
    } else if (c == '"') {
      inWord = true;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size() &&
            (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$' || s[i + 1] == '`')) {
          cur += s[i + 1];
          i += 2;
        } else {
          cur += s[i++];
        }
      }
      ++i;
    } else if (c == '\\' && i + 1 < s.size()) {
      if (s[i + 1] != '\n')
        cur += s[i + 1];
      inWord = true;
      i += 2;
    } else if (c == ' ' || c == '\t') {
      end();
      ++i;
    } else if (c == '#' && !inWord) {
      while (i < s.size() && s[i] != '\n')
        ++i;
    } else if (c == '\n') {
      end();
      out.push_back("\n");
      ++i;
      // Skip the bodies of the heredocs opened on the line that just ended.
      for (const auto &delim : heredocs) {
        while (i < s.size()) {
          size_t eol = s.find('\n', i);
          if (eol == std::string_view::npos)
            eol = s.size();
          std::string_view line = s.substr(i, eol - i);
          while (!line.empty() && line.front() == '\t')
            line.remove_prefix(1);
          i = eol + (eol < s.size() ? 1 : 0);
          if (line == delim)
            break;
        }
      }
      heredocs.clear();
    } else if (c == '&' || c == '|' || c == ';' || c == '>' || c == '<') {
      // A redirection may carry its file descriptor: 2> 1>> (only when the digit stands alone).
      std::string op;
      if ((c == '>' || c == '<') && inWord && (cur == "1" || cur == "2")) {
        op = cur;
        cur.clear();
        inWord = false;
      }
      end();
      op += c;
      ++i;
      while (i < s.size() &&
             (s[i] == '&' || s[i] == '|' || s[i] == '>' || s[i] == '<' ||
              (s[i] == '-' && op == "<<")) &&
             op.size() < 3) {
        op += s[i++];
      }
      if (op == "2>&" && i < s.size() && s[i] == '1') {
        op += '1';
        ++i;
      }
      out.push_back(op);
      if (op == "<<" || op == "<<-") {
        // The delimiter is the next word (quotes removed).
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
          ++i;
        std::string delim;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != ';' &&
               s[i] != '&' && s[i] != '|' && s[i] != '>') {
          if (s[i] != '\'' && s[i] != '"' && s[i] != '\\')
            delim += s[i];
          ++i;
        }
        out.push_back(delim);
        heredocs.push_back(delim);
      }
    } else {
      cur += c;
      inWord = true;
      ++i;
    }
  }
  end();
  return out;
}

std::vector<ShellEffect> shellEffects(std::string_view command, const std::string &cwd) {
  std::vector<ShellEffect> out;
  std::string dir = cwd;
  effectsOfLine(command, dir, out, 0);
  return out;
}

} // namespace mantra::timeline
