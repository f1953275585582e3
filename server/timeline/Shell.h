// What a shell command did to files, as far as its text tells: renames, copies and deletions
// the timeline can follow (`git mv a b`, `rm x`), and writes whose content it cannot know
// (`sed -i`, `> file`, `tee`). Anything else is assumed to leave files alone; a later read of
// the file in the session shows when that assumption was wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mantra::timeline {

struct ShellEffect {
  enum class Kind {
    Move,   // `from` renamed to `to`
    Copy,   // `from` copied to `to`
    Delete, // `from` removed (with recursive: everything under it)
    Write,  // `from` written with content the command text does not tell
    Create, // `from` created empty when it did not exist (touch)
    Reset,  // every file may have changed (git checkout <branch>, git stash, git reset --hard …)
  };
  Kind kind = Kind::Write;
  std::string from, to; // absolute, normalized
  bool recursive = false;
};

// Splits a command line into words the way a POSIX shell would for simple commands: quotes,
// backslashes, and the operators && || ; | & and redirections as words of their own.
std::vector<std::string> shellWords(std::string_view command);

// The file effects of `command` run in `cwd` (absolute). `cd` inside the command moves the cwd
// for what follows it.
std::vector<ShellEffect> shellEffects(std::string_view command, const std::string &cwd);

} // namespace mantra::timeline
