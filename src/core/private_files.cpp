#include "relay/core/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "relay/core/log.hpp"

namespace relay::core {
namespace {

constexpr mode_t kPrivateDir = 0700;
constexpr mode_t kPrivateFile = 0600;
constexpr mode_t kGroupOther = 077;

std::string errno_text() { return std::strerror(errno); }

// Narrows an existing file to 0600 (only bits are removed). Missing files are fine.
void narrow_file(const std::filesystem::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  if ((st.st_mode & kGroupOther) == 0) return;
  if (::chmod(file.c_str(), st.st_mode & 0700 & ~S_IXUSR) != 0) {
    log_event(
        *logger("relay.state"), spdlog::level::warn, "cannot make a database file private",
        {{"file", file.string()}, {"err", errno_text()}, {"fix", "chmod 600 " + file.string()}});
  }
}

}  // namespace

void ensure_private_directory(const std::filesystem::path& dir, LooseDirectory loose) {
  namespace fs = std::filesystem;
  // Missing components, outermost first: each one made here is 0700.
  std::vector<fs::path> missing;
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    std::error_code ec;
    if (fs::exists(p, ec)) break;
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  std::reverse(missing.begin(), missing.end());
  for (const auto& p : missing) {
    if (::mkdir(p.c_str(), kPrivateDir) != 0 && errno != EEXIST) {
      throw std::runtime_error(fmt::format(
          "cannot create the state directory {} ({}); pass another one with --state-dir or "
          "$RELAY_STATE_DIR",
          p.string(), errno_text()));
    }
    ::chmod(p.c_str(), kPrivateDir);  // the umask narrowed mkdir's mode, never widened it
  }
  if (!missing.empty()) return;

  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw std::runtime_error(
        fmt::format("the state directory {} is not a directory; pass another one with --state-dir",
                    dir.string()));
  }
  if ((st.st_mode & kGroupOther) == 0 || loose == LooseDirectory::leave) return;
  const std::string mode = fmt::format("{:o}", st.st_mode & 07777);
  if (loose == LooseDirectory::tighten && st.st_uid == ::geteuid() &&
      ::chmod(dir.c_str(), kPrivateDir) == 0) {
    log_event(*logger("relay.state"), spdlog::level::info,
              "state directory made private (it holds captured headers and bodies)",
              {{"dir", dir.string()}, {"was", mode}, {"now", "700"}});
    return;
  }
  log_event(*logger("relay.state"), spdlog::level::warn,
            "state directory is open to other local users; its database files are 0600, but "
            "make the directory private too",
            {{"dir", dir.string()}, {"mode", mode}, {"fix", "chmod 700 " + dir.string()}});
}

void prepare_private_database(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kPrivateFile);
  if (fd < 0) {
    throw std::runtime_error(fmt::format(
        "cannot open the database {} ({}); check that its directory is writable, or pass another "
        "state directory with --state-dir",
        file.string(), errno_text()));
  }
  ::close(fd);
  // A new file got 0600 & ~umask, an old one may be 0644: both end 0600.
  narrow_file(file);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    narrow_file(file.string() + suffix);
  }
}

}  // namespace relay::core
