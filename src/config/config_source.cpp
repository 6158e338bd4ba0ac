#include "relay/config/config_source.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace relay::config {

std::vector<std::shared_ptr<const ConfigSource>> read_sources(const std::vector<std::string>& paths,
                                                              Diagnostics& diagnostics) {
  std::vector<std::shared_ptr<const ConfigSource>> sources;
  for (const auto& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      std::string hint = err == ENOENT
                             ? "; create it (relay config add-authtoken TOKEN writes one) or pass "
                               "another file with --config"
                             : "; check its permissions";
      diagnostics.error({path, 0, 0}, "",
                        std::string{"cannot read the file: "} + std::strerror(err) + hint);
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      diagnostics.error({path, 0, 0}, "", "is a directory; pass the path of a YAML file");
      continue;
    }
    std::ifstream in{path, std::ios::binary};
    if (!in) {
      diagnostics.error(
          {path, 0, 0}, "",
          std::string{"cannot open the file: "} + std::strerror(errno) + "; check its permissions");
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto source = std::make_shared<ConfigSource>();
    source->name = path;
    source->text = text.str();
    source->world_readable = (st.st_mode & S_IROTH) != 0;
    sources.push_back(std::move(source));
  }
  return sources;
}

}  // namespace relay::config
