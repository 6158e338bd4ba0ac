#pragma once

#include <string>
#include <string_view>

namespace relay::config {

// Edits of a config file's text that keep everything else as written (comments, order, other
// keys): re-emitting the YAML would lose the comments users rely on.

// Sets the top-level `key: value` (the value double-quoted): replaces the existing line, keeping
// a trailing comment, or adds the line after `version:` (or at the end). Throws
// std::invalid_argument when `value` holds a line break or control character.
std::string set_top_level_scalar(std::string_view text, std::string_view key,
                                 std::string_view value);

// A YAML double-quoted scalar for `value`.
std::string yaml_quote(std::string_view value);

// Writes `text` to `path` through a temporary file and rename, so a crash never leaves half a
// config. A new file (and its directory) is created with `new_file_mode`; an existing file keeps
// its mode. Throws std::runtime_error with a message for the user.
void write_file_atomically(const std::string& path, std::string_view text,
                           unsigned new_file_mode = 0600);

// The file's text, or "" when it does not exist. Throws std::runtime_error when unreadable.
std::string read_file_or_empty(const std::string& path);

}  // namespace relay::config
