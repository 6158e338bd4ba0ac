#include "edge/acme/certificate_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "relay/core/private_files.hpp"

namespace relay::edge::acme {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes beside and renames: readers see the old file or the new one, never half of one.
void write_private(const fs::path& file, const std::string& text) {
  const fs::path temp = file.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error("cannot write " + temp.string() + ": " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error("cannot write " + temp.string() + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  fs::rename(temp, file);
}

}  // namespace

bool is_certificate_host(const std::string& host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') return false;
  char previous = '.';
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok || (c == '.' && previous == '.')) return false;
    previous = c;
  }
  return true;
}

CertificateStore::CertificateStore(const fs::path& state_dir) : dir_(state_dir / "acme") {
  core::ensure_private_directory(dir_, core::LooseDirectory::tighten);
}

std::optional<std::string> CertificateStore::load_account_key() const {
  return read_text(dir_ / "account.key");
}

void CertificateStore::save_account_key(const std::string& pem) const {
  write_private(dir_ / "account.key", pem);
}

std::optional<net::CertificatePem> CertificateStore::load(const std::string& host) const {
  if (!is_certificate_host(host)) return std::nullopt;
  auto cert = read_text(dir_ / (host + ".crt"));
  auto key = read_text(dir_ / (host + ".key"));
  if (!cert || !key) return std::nullopt;
  return net::CertificatePem{std::move(*cert), std::move(*key)};
}

void CertificateStore::save(const std::string& host, const net::CertificatePem& pem) const {
  if (!is_certificate_host(host)) throw std::runtime_error("not a host name: " + host);
  // Key first: a certificate on disk always has its key beside it.
  write_private(dir_ / (host + ".key"), pem.key);
  write_private(dir_ / (host + ".crt"), pem.cert);
}

std::vector<std::string> CertificateStore::hosts() const {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const auto& file = entry.path();
    if (file.extension() != ".crt") continue;
    const auto host = file.stem().string();
    if (is_certificate_host(host) && fs::exists(dir_ / (host + ".key"))) out.insert(host);
  }
  return {out.begin(), out.end()};
}

}  // namespace relay::edge::acme
