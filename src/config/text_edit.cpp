#include "relay/config/text_edit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace relay::config {

namespace {

// The `# comment` that ends `line`, outside quotes, with the spaces before it; "" when none.
std::string_view trailing_comment(std::string_view line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
      std::size_t start = i;
      while (start > 0 && (line[start - 1] == ' ' || line[start - 1] == '\t')) --start;
      return line.substr(start);
    }
  }
  return {};
}

bool is_top_level_key(std::string_view line, std::string_view key) {
  if (!line.starts_with(key)) return false;
  std::string_view rest = line.substr(key.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  return !rest.empty() && rest.front() == ':' &&
         (rest.size() == 1 || rest[1] == ' ' || rest[1] == '\t' || rest[1] == '\r');
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string yaml_quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string set_top_level_scalar(std::string_view text, std::string_view key,
                                 std::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      throw std::invalid_argument("the value holds a line break or control character");
    }
  }
  const std::string new_line = std::string{key} + ": " + yaml_quote(value);
  std::string out;
  out.reserve(text.size() + new_line.size() + 1);
  bool replaced = false;
  std::size_t version_end = std::string::npos;  // where to insert when the key is missing
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    const bool has_newline = end < text.size();
    if (!replaced && is_top_level_key(line, key)) {
      out += new_line;
      out += trailing_comment(line);
      replaced = true;
    } else {
      out += line;
    }
    if (has_newline) out += '\n';
    if (is_top_level_key(line, "version")) version_end = out.size();
    pos = end + 1;
  }
  if (replaced) return out;
  if (version_end != std::string::npos) {
    if (version_end == out.size() && !out.ends_with('\n')) out += '\n', version_end = out.size();
    out.insert(version_end, new_line + "\n");
    return out;
  }
  if (!out.empty() && !out.ends_with('\n')) out += '\n';
  out += new_line + "\n";
  return out;
}

std::string read_file_or_empty(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    if (errno == ENOENT) return {};
    fail("cannot read", path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file_atomically(const std::string& path, std::string_view text, unsigned new_file_mode) {
  namespace fs = std::filesystem;
  const fs::path target{path};
  auto mode = static_cast<mode_t>(new_file_mode);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  } else if (target.has_parent_path()) {
    std::error_code ec;
    const bool created = fs::create_directories(target.parent_path(), ec);
    if (ec) {
      throw std::runtime_error("cannot create the directory " + target.parent_path().string() +
                               ": " + ec.message());
    }
    // Only a directory made here is narrowed: ~/.config/relay holds the authtoken.
    if (created) ::chmod(target.parent_path().c_str(), 0700);
  }
  std::string temp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail("cannot create a temporary file next to", path);
  ::fchmod(fd, mode);
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(temp.c_str());
      fail("cannot write", temp);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    fail("cannot write", temp);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    fail("cannot replace", path);
  }
}

}  // namespace relay::config
