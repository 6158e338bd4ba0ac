#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "relay/net/tls.hpp"

namespace relay::edge::acme {

// The ACME files of one edge, in <state_dir>/acme/ (0700): account.key, and per host
// HOST.crt (the chain the CA sent) and HOST.key, each 0600 and replaced atomically (written
// beside, then renamed), so a crash mid-write leaves the previous certificate in place. The
// files are small and written once per order; reading happens at start.
class CertificateStore {
 public:
  // Creates the directory. Throws std::runtime_error naming it when it cannot.
  explicit CertificateStore(const std::filesystem::path& state_dir);

  [[nodiscard]] std::optional<std::string> load_account_key() const;
  void save_account_key(const std::string& pem) const;

  [[nodiscard]] std::optional<net::CertificatePem> load(const std::string& host) const;
  void save(const std::string& host, const net::CertificatePem& pem) const;
  // Hosts with a certificate and a key on disk, sorted.
  [[nodiscard]] std::vector<std::string> hosts() const;

  [[nodiscard]] const std::filesystem::path& directory() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// A host name safe as a file name and worth asking a CA for: lower-case letters, digits, '-'
// and '.', no empty label, at most 253 characters.
bool is_certificate_host(const std::string& host);

}  // namespace relay::edge::acme
