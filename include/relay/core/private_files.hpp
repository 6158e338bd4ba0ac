#pragma once

#include <filesystem>

namespace relay::core {

// What to do with an existing directory that group or others may enter (mode & 077).
enum class LooseDirectory {
  tighten,  // relay's own default directory (~/.local/state/relay, …): chmod 0700, say so
  warn,     // a directory the user named (--state-dir): left as it is, one warning
  leave,    // the caller applied its policy already
};

// State directories hold captured Authorization and Cookie headers, bodies and the edge's name
// ownership: nobody but their owner reads them, whatever the umask. Creates `dir` and its missing
// parents with mode 0700 (chmod after mkdir: the umask cannot widen it). Throws
// std::runtime_error naming the directory and what to do when it cannot be created.
void ensure_private_directory(const std::filesystem::path& dir, LooseDirectory loose);

// Prepares an SQLite database file so that it and its companions stay private: creates it empty
// with mode 0600 when missing (SQLite then creates -wal, -shm and -journal with the database
// file's mode), and narrows an existing file and existing companions to 0600 (files of an older
// relay that were created 0644). Never widens a mode. Throws std::runtime_error when the file
// cannot be created.
void prepare_private_database(const std::filesystem::path& file);

}  // namespace relay::core
