#include "cli/acme_flags.hpp"

#include <fstream>

namespace relay::cli {

void add_acme_flags(CLI::App& cmd, AcmeFlags& f) {
  cmd.add_option("--acme-email", f.email,
                 "Get certificates for the tunnel hosts of --listen-tls by ACME (Let's Encrypt), "
                 "on demand, for owned names only; this is the account's contact address");
  cmd.add_option("--acme-directory", f.directory, "The ACME CA's directory URL")
      ->default_str("https://acme-v02.api.letsencrypt.org/directory");
  cmd.add_option("--acme-ca", f.ca_file,
                 "Trust only this CA (PEM) for connections to --acme-directory (a test CA)");
  cmd.add_option("--acme-orders-per-hour", f.orders_per_hour,
                 "New certificate orders per hour, all hosts together; beyond, handshakes keep "
                 "the --tls-cert certificate")
      ->default_str("10");
  cmd.add_option("--acme-challenge", f.challenge,
                 "How the CA checks a host: http-01 (port 80, --listen) or tls-alpn-01 (port 443, "
                 "--listen-tls); default http-01 when there is a --listen, else tls-alpn-01")
      ->check(CLI::IsMember({"http-01", "tls-alpn-01"}));
}

void apply_acme_flags(const AcmeFlags& f, edge::EdgeOptions& options) {
  auto& acme = options.acme;
  if (f.email) acme.email = *f.email;
  if (f.directory) acme.directory = *f.directory;
  if (f.ca_file) acme.ca_file = *f.ca_file;
  if (f.orders_per_hour) acme.orders_per_hour = *f.orders_per_hour;
  if (f.challenge) acme.challenge = *f.challenge;
  if (acme.email.empty()) return;
  if (acme.email.find('@') == std::string::npos ||
      acme.email.find_first_of(" \t\r\n,<>") != std::string::npos) {
    throw CLI::ValidationError("--acme-email", "'" + acme.email +
                                                   "' is not an email address; pass e.g. "
                                                   "--acme-email ops@example.com");
  }
  if (acme.directory.rfind("https://", 0) != 0) {
    throw CLI::ValidationError("--acme-directory",
                               "'" + acme.directory + "' is not an https:// URL");
  }
  if (!acme.ca_file.empty() && !std::ifstream(acme.ca_file).good()) {
    throw CLI::ValidationError("--acme-ca",
                               "'" + acme.ca_file + "' cannot be read; check the path");
  }
  if (options.listen_tls.empty()) {
    throw CLI::ValidationError("--acme-email",
                               "certificates are for the public HTTPS listener: add --listen-tls "
                               "0.0.0.0:443 (and --listen 0.0.0.0:80 for the CA's HTTP-01 check)");
  }
  if (acme.challenge == "http-01" && options.listen.empty()) {
    throw CLI::ValidationError("--acme-challenge",
                               "http-01 needs a plain HTTP listener for the CA (port 80): add "
                               "--listen 0.0.0.0:80, or use --acme-challenge tls-alpn-01");
  }
}

}  // namespace relay::cli
