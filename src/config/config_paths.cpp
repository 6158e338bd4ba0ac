#include "relay/config/config_paths.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace relay::config {

namespace {

std::string home_dir() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return "/";
}

}  // namespace

std::string default_agent_config_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg == '/') {
    return std::string{xdg} + "/relay/relay.yml";
  }
  return home_dir() + "/.config/relay/relay.yml";
}

std::vector<std::string> agent_config_paths(const std::vector<std::string>& flags) {
  if (!flags.empty()) return flags;
  if (const char* env = std::getenv("RELAY_CONFIG"); env != nullptr && *env != '\0') {
    std::vector<std::string> paths;
    std::string text{env};
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto end = std::min(text.find(':', start), text.size());
      if (end > start) paths.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    if (!paths.empty()) return paths;
  }
  return {default_agent_config_path()};
}

std::vector<std::string> agent_config_paths_to_read(const std::vector<std::string>& flags) {
  auto paths = agent_config_paths(flags);
  const bool is_default = paths.size() == 1 && paths.front() == default_agent_config_path();
  struct stat st {};
  if (is_default && ::stat(paths.front().c_str(), &st) != 0 && errno == ENOENT) return {};
  return paths;
}

std::string edge_config_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("RELAY_EDGE_CONFIG"); env != nullptr && *env != '\0') {
    return env;
  }
  return "/etc/relay/edge.yml";
}

}  // namespace relay::config
