#include "cli/edge_command.hpp"

#include <csignal>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "cli/commands.hpp"
#include "cli/edge_config_flags.hpp"
#include "cli/event_loop.hpp"
#include "cli/open_files_limit.hpp"
#include "cli/sd_notify.hpp"
#include "relay/config/byte_size.hpp"
#include "relay/core/headers.hpp"
#include "relay/core/log.hpp"
#include "relay/core/private_files.hpp"
#include "relay/edge/auth_token.hpp"
#include "relay/edge/edge_server.hpp"
#include "relay/store/state_dir.hpp"
#include "relay/verify/crypto.hpp"
#include "relay/verify/secret.hpp"

namespace relay::cli {

namespace asio = boost::asio;

namespace {

edge::AuthToken token_from_text(std::string_view token, std::string_view where) {
  constexpr std::string_view kHashPrefix = "sha256:";
  if (token.substr(0, kHashPrefix.size()) != kHashPrefix) return edge::make_auth_token(token);
  edge::AuthToken t;
  t.sha256_hex = core::to_lower(token.substr(kHashPrefix.size()));
  if (!verify::is_sha256_hex(t.sha256_hex)) {
    throw CLI::ValidationError(
        std::string(where),
        "'sha256:' must be followed by 64 hex digits (the SHA-256 of the token)");
  }
  t.label = edge::token_label(t.sha256_hex);  // never the token itself
  return t;
}

bool readable(const std::string& path) { return std::ifstream(path).good(); }

// HOST:PORT, [V6]:PORT or :PORT; the edge resolves the host when it binds.
void check_address(const std::string& address, const char* flag) {
  auto colon = address.rfind(':');
  std::string port = colon == std::string::npos ? "" : address.substr(colon + 1);
  bool ok = !port.empty() && port.size() <= 5 &&
            port.find_first_not_of("0123456789") == std::string::npos && std::stoul(port) <= 65535;
  if (ok && address.front() == '[') ok = colon > 0 && address[colon - 1] == ']';
  if (!ok) {
    throw CLI::ValidationError(
        flag, "'" + address + "' is not HOST:PORT; use e.g. 0.0.0.0:8080 or [::1]:8080");
  }
}

}  // namespace

void add_edge_flags(CLI::App& cmd, EdgeFlags& f) {
  cmd.add_option("--listen", f.listen,
                 "Public HTTP listener HOST:PORT (repeatable; default 0.0.0.0:80)");
  cmd.add_option("--listen-tls", f.listen_tls,
                 "Public HTTPS listener HOST:PORT (repeatable; same certificate)");
  cmd.add_option("--agent-listen", f.agent_listen, "Where agents connect (TLS) HOST:PORT")
      ->default_str("0.0.0.0:4443");
  cmd.add_option("--domain", f.domain, "Tunnels are served as NAME.DOMAIN")
      ->default_str("localhost");
  cmd.add_option("--tls-cert", f.tls_cert,
                 "TLS certificate chain (PEM) for the agent port and --listen-tls (required)");
  cmd.add_option("--tls-key", f.tls_key, "TLS private key (PEM) for --tls-cert (required)");
  cmd.add_option("--authtoken", f.authtokens,
                 "An authtoken agents may use (repeatable): env:NAME or file:PATH (a literal "
                 "shows in ps), or use --authtokens-file");
  cmd.add_option("--authtokens-file", f.authtokens_file,
                 "File with one authtoken per line ('sha256:HEX' for a hashed one; '#' comments)");
  cmd.add_option("--public-port", f.public_port,
                 "Port shown in public URLs (default: the listener's)");
  cmd.add_option("--resume-grace", f.resume_grace_seconds,
                 "Seconds a disconnected agent keeps its tunnel names")
      ->default_str("60");
  cmd.add_option("--max-body-bytes", f.max_body_bytes,
                 "Largest request body accepted, 0 = unlimited (→ 413)")
      ->default_str("0");
  cmd.add_flag("--allow-anonymous", f.allow_anonymous,
               "INSECURE: let any agent connect without an authtoken");
  // state (hardening item 3)
  cmd.add_option("--state-dir", f.state_dir,
                 "Where the edge keeps which authtoken owns which tunnel name (edge.db, 0600). "
                 "Default: $RELAY_STATE_DIR, else /var/lib/relay-edge as root, else "
                 "$XDG_STATE_HOME/relay/edge or ~/.local/state/relay/edge");
  // durable delivery: store
  cmd.add_option("--store-max-size", f.store_max_size,
                 "Most the state database (edge.db) may hold, e.g. 2GiB; past it requests for "
                 "buffered tunnels get 503 RELAY_QUEUE_FULL. Default: no limit but the disk's");
  // sessions: failed authtokens per client address
  cmd.add_option("--auth-failures-per-minute", f.auth_failures_per_minute,
                 "Wrong authtokens one address may send per minute before it gets 429; 0 = no "
                 "limit")
      ->default_str("10");
  cmd.add_option("--auth-failure-block", f.auth_failure_block_seconds,
                 "Seconds an address is refused (429, Retry-After) after too many wrong "
                 "authtokens; doubles with each further block, up to an hour")
      ->default_str("60");
  add_public_limit_flags(cmd, f.public_limits);  // public-limits
  // durable delivery (accept)
  cmd.add_option("--buffer-max-body", f.buffer_max_body,
                 "Largest body a buffered tunnel's request may have to be queued, in bytes; a "
                 "bigger one streams live to a connected agent, or gets 413 while it is away")
      ->default_str("8388608");
  // operations
  cmd.add_option("--metrics-listen", f.metrics_listen,
                 "Serve Prometheus metrics at http://HOST:PORT/metrics (plain HTTP: keep it on "
                 "loopback or a private network), e.g. 127.0.0.1:9090");
  add_acme_flags(cmd, f.acme);        // operations: acme
  add_cluster_flags(cmd, f.cluster);  // cluster: redis
}

void apply_buffer_max_body_flag(const EdgeFlags& f, edge::EdgeOptions& options) {
  if (!f.buffer_max_body) return;
  if (*f.buffer_max_body < 1 || *f.buffer_max_body > (1ULL << 32)) {
    throw CLI::ValidationError("--buffer-max-body", "must be from 1 to 4294967296 bytes");
  }
  options.limits.buffer_max_body = static_cast<std::size_t>(*f.buffer_max_body);
}

std::vector<edge::AuthToken> read_authtokens_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw CLI::ValidationError("--authtokens-file",
                               "'" + path + "' cannot be read; check the path and its permissions");
  }
  std::vector<edge::AuthToken> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto last = line.find_last_not_of(" \t\r");
    out.push_back(token_from_text(std::string_view(line).substr(first, last - first + 1),
                                  fmt::format("--authtokens-file {}:{}", path, number)));
  }
  return out;
}

edge::EdgeOptions edge_options_from_flags(const EdgeFlags& f) {
  edge::EdgeOptions o;
  o.listen = f.listen;
  o.listen_tls = f.listen_tls;
  if (o.listen.empty() && o.listen_tls.empty()) o.listen.emplace_back("0.0.0.0:80");
  o.agent_listen = f.agent_listen;
  for (const auto& a : o.listen) check_address(a, "--listen");
  for (const auto& a : o.listen_tls) check_address(a, "--listen-tls");
  check_address(o.agent_listen, "--agent-listen");
  if (!f.metrics_listen.empty()) check_address(f.metrics_listen, "--metrics-listen");
  o.metrics_listen = f.metrics_listen;
  if (f.domain.empty() || f.domain.find_first_of("/: ") != std::string::npos) {
    throw CLI::ValidationError(
        "--domain", "'" + f.domain + "' is not a domain; pass e.g. --domain relay.example.com");
  }
  o.domain = f.domain;
  if (f.tls_cert.empty() || f.tls_key.empty()) {
    throw CLI::ValidationError(
        "--tls-cert",
        "the agent port is always TLS: pass --tls-cert FILE and --tls-key FILE (for a test, make a "
        "pair with "
        "'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "
        "/CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout key.pem -out cert.pem')");
  }
  if (!readable(f.tls_cert))
    throw CLI::ValidationError("--tls-cert", "'" + f.tls_cert + "' cannot be read; check the path");
  if (!readable(f.tls_key))
    throw CLI::ValidationError("--tls-key", "'" + f.tls_key + "' cannot be read; check the path");
  o.tls_cert_file = f.tls_cert;
  o.tls_key_file = f.tls_key;
  for (const auto& t : f.authtokens) {
    if (t.empty()) throw CLI::ValidationError("--authtoken", "an authtoken cannot be empty");
    // parsing: env:NAME / file:PATH keep the token out of /proc/PID/cmdline.
    auto text = verify::resolve_secret(t);
    if (!text) throw CLI::ValidationError("--authtoken", text.error().message);
    o.authtokens.push_back(token_from_text(*text, "--authtoken"));
  }
  if (!f.authtokens_file.empty()) {
    auto tokens = read_authtokens_file(f.authtokens_file);
    if (tokens.empty()) {
      throw CLI::ValidationError("--authtokens-file",
                                 "'" + f.authtokens_file + "' holds no authtoken");
    }
    o.authtokens.insert(o.authtokens.end(), tokens.begin(), tokens.end());
  }
  o.allow_anonymous = f.allow_anonymous;
  if (o.authtokens.empty() && !o.allow_anonymous) {
    throw CLI::ValidationError("--authtoken",
                               "no authtoken: pass --authtoken TOKEN or --authtokens-file FILE (or "
                               "--allow-anonymous, which lets anyone open tunnels on this edge)");
  }
  if (f.public_port > 65535)
    throw CLI::ValidationError("--public-port", "must be a port from 1 to 65535");
  o.public_port = static_cast<unsigned short>(f.public_port);
  if (f.resume_grace_seconds < 0 || f.resume_grace_seconds > 86400) {
    throw CLI::ValidationError("--resume-grace", "must be from 0 to 86400 seconds");
  }
  o.resume_grace = std::chrono::seconds(f.resume_grace_seconds);
  o.limits.max_body_bytes = static_cast<std::size_t>(f.max_body_bytes);
  o.state_dir = f.state_dir;  // resolved by run_edge
  // durable delivery: store
  if (!f.store_max_size.empty()) {
    auto bytes = config::parse_byte_size(f.store_max_size);
    if (!bytes || (*bytes > 0 && *bytes < 1024 * 1024)) {
      throw CLI::ValidationError("--store-max-size",
                                 "expected a size of at least 1MiB such as 512MiB or 2GiB (0: no "
                                 "limit), got '" +
                                     f.store_max_size + "'");
    }
    o.store_max_bytes = *bytes;
  }
  // sessions: failed authtokens per client address
  if (f.auth_failures_per_minute < 0 || f.auth_failures_per_minute > 1'000'000) {
    throw CLI::ValidationError("--auth-failures-per-minute", "must be from 0 to 1000000");
  }
  if (f.auth_failure_block_seconds < 1 || f.auth_failure_block_seconds > 86400) {
    throw CLI::ValidationError("--auth-failure-block", "must be from 1 to 86400 seconds");
  }
  o.limits.auth_failures_per_minute = static_cast<std::size_t>(f.auth_failures_per_minute);
  o.limits.auth_failure_block = std::chrono::seconds(f.auth_failure_block_seconds);
  apply_public_limit_flags(f.public_limits, o);  // public-limits
  apply_buffer_max_body_flag(f, o);              // durable delivery (accept)
  apply_acme_flags(f.acme, o);                   // operations: acme
  apply_cluster_flags(f.cluster, o);             // cluster: redis
  return o;
}

int run_edge(edge::EdgeOptions options) {
  // public-limits: thousands of connections need descriptors.
  const std::uint64_t open_files = raise_open_files_limit();
  // idle-sessions: a limit below what max_sessions needs fails agents with EMFILE instead.
  if (open_files < descriptors_for_sessions(options.limits.max_sessions)) {
    core::log_event(
        *core::logger("relay.edge"), spdlog::level::warn,
        "open files limit too low for max_sessions; raise the hard limit (LimitNOFILE= in the "
        "systemd unit, ulimit -Hn) or lower limits.max_sessions",
        {{"open_files_limit", open_files},
         {"max_sessions", options.limits.max_sessions},
         {"needed", descriptors_for_sessions(options.limits.max_sessions)}});
  }
  asio::io_context io(kOneIoThread);
  std::unique_ptr<edge::EdgeServer> owned;
  try {
    // A directory relay picked is made private; one the user named is only warned about.
    const auto dir = store::resolve_edge_state_dir(options.state_dir);
    core::ensure_private_directory(
        dir.path, dir.chosen_by_user ? core::LooseDirectory::warn : core::LooseDirectory::tighten);
    options.state_dir = dir.path;
    owned = std::make_unique<edge::EdgeServer>(io, std::move(options));
    owned->start();
  } catch (const std::exception& e) {
    std::cerr << "relay edge: " << e.what() << "\n";
    return kExitFailure;
  }
  edge::EdgeServer& server = *owned;
  std::cout << "relay edge is running\n";
  for (const auto& ep : server.public_endpoints()) {
    std::cout << "  public   " << ep.address().to_string() << ":" << ep.port() << "\n";
  }
  auto agents = server.agent_endpoint();
  std::cout << "  agents   " << agents.address().to_string() << ":" << agents.port() << " (TLS)\n";
  std::cout << "  tunnels  " << server.public_url("NAME") << "\n" << std::flush;
  SdNotifier notifier;  // systemd Type=notify: ready once every listener is bound
  notifier.ready("listening");
  notifier.start_watchdog(io);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::
                                                                                 error_code& ec,
                                                                             int) {
    if (ec) return;
    if (stopping) {  // a second signal: stop now
      io.stop();
      return;
    }
    stopping = true;
    notifier.stopping();
    notifier.stop_watchdog();
    std::cerr
        << "relay edge: stopping (in-flight requests get up to 10 s; signal again to stop now)\n";
    signals.async_wait(on_signal);
    asio::co_spawn(io, server.stop(std::chrono::seconds(10)),
                   [&](const std::exception_ptr&) { io.stop(); });
  };
  signals.async_wait(on_signal);
  io.run();
  return 0;
}

void add_edge_command(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<EdgeFlags>();
  auto* cmd = app.add_subcommand(
      "edge", "Run the public side: public listeners, the agent port, tunnel routing");
  add_edge_flags(*cmd, *flags);
  auto config = add_edge_config_flag(*cmd);  // --config edge.yml (src/cli/edge_config_flags.cpp)
  add_edge_token_command(*cmd, ctx);         // relay edge token add|list|revoke
  add_edge_names_command(*cmd, ctx);         // relay edge names list|release (state)
  add_edge_queue_command(*cmd, ctx);         // relay edge queue stats|list (durable delivery)
  cmd->callback([&ctx, flags, cmd, config] {
    if (edge_token_invoked(*cmd) || edge_names_invoked(*cmd) || edge_queue_invoked(*cmd)) return;
    ctx.apply_logging();
    auto options = edge_options_for(*cmd, *flags, *config, ctx);
    ctx.exit_code = options ? run_edge(std::move(*options)) : kExitFailure;
  });
}

}  // namespace relay::cli
