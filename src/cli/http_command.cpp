// `relay http UPSTREAM`: one tunnel to a local app, through --edge or an embedded edge.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>

#include <boost/asio/io_context.hpp>

#include "cli/agent_lifetime.hpp"
#include "cli/buffer_flags.hpp"
#include "cli/commands.hpp"
#include "cli/console_status.hpp"
#include "cli/edge_flags.hpp"
#include "cli/embedded_edge.hpp"
#include "cli/event_loop.hpp"
#include "cli/ip_rule_flags.hpp"
#include "cli/upstream_timeout_flag.hpp"
#include "relay/agent/agent.hpp"
#include "relay/agent/tunnel_name.hpp"
#include "relay/agent/upstream_address.hpp"
#include "relay/config/buffer_settings.hpp"
#include "relay/core/log.hpp"
#include "relay/verify/registry.hpp"
#include "relay/verify/secret.hpp"

namespace relay::cli {

namespace asio = boost::asio;

namespace {

struct HttpFlags {
  std::string upstream;
  std::string url;
  std::vector<std::string> edges;
  std::size_t ha_connections = 0;
  std::string authtoken;
  std::string edge_ca;
  bool edge_insecure = false;
  std::string host_header;
  std::string verify_provider;
  std::string verify_secret;
  bool verify_enforce = true;
  std::string inspect = "127.0.0.1:4040";
  std::string state_dir;
  std::string upstream_timeout;
  BufferFlags buffer;
  IpRuleFlags ip_rules;
};

agent::AgentOptions options_from_flags(const HttpFlags& f) {
  if (auto upstream = agent::parse_upstream_address(f.upstream); !upstream)
    throw CLI::ValidationError("UPSTREAM", upstream.error().message);
  if (auto name = agent::requested_tunnel_name(f.url); !name)
    throw CLI::ValidationError("--url", name.error().message);
  if (f.host_header.find_first_of("\r\n") != std::string::npos) {
    throw CLI::ValidationError("--host-header", "must be 'rewrite' or a host name");
  }
  if (!f.edge_ca.empty() && f.edges.empty()) {
    throw CLI::ValidationError("--edge-ca", "only means something with --edge HOST:PORT");
  }
  agent::AgentOptions o;
  o.edges = f.edges;
  o.ha_connections = f.ha_connections;
  if (!f.authtoken.empty()) {
    // env:NAME / file:PATH keep the token out of /proc/PID/cmdline (docs/security.md).
    auto token = verify::resolve_secret(f.authtoken);
    if (!token) throw CLI::ValidationError("--authtoken", token.error().message);
    o.authtoken = std::move(*token);
  }
  if (o.authtoken.empty()) {
    if (const char* env = std::getenv("RELAY_AUTHTOKEN")) o.authtoken = env;
  }
  o.edge_ca_file = f.edge_ca;
  o.edge_insecure = f.edge_insecure;
  o.inspect_addr = f.inspect == "false" ? "" : f.inspect;
  o.state_dir = f.state_dir;
  o.version = RELAY_VERSION;
  apply_upstream_timeout_flag(f.upstream_timeout, o.limits);

  agent::TunnelOptions t;
  t.addr = f.upstream;
  t.url = f.url;
  t.host_header = f.host_header;
  if (!f.verify_provider.empty()) {
    if (f.verify_secret.empty()) {
      throw CLI::ValidationError(
          "--verify-webhook-secret",
          "--verify-webhook " + f.verify_provider +
              " needs the signing secret: pass --verify-webhook-secret env:NAME "
              "(or file:PATH)");
    }
    // Resolved and checked here, before an embedded edge starts: env:/file: secrets, and an
    // unknown provider is a usage error listing the known ones.
    auto secret = verify::resolve_secret(f.verify_secret);
    if (!secret) throw CLI::ValidationError("--verify-webhook-secret", secret.error().message);
    verify::VerifierOptions check;
    check.secret = *secret;
    if (auto created = verify::builtin_registry().create(f.verify_provider, check); !created) {
      throw CLI::ValidationError("--verify-webhook", created.error().message);
    }
    t.verify_webhook = agent::WebhookVerification{
        f.verify_provider, std::move(*secret), std::nullopt, f.verify_enforce, {}};
  } else if (!f.verify_secret.empty()) {
    throw CLI::ValidationError("--verify-webhook-secret",
                               "needs --verify-webhook PROVIDER (see `relay providers`)");
  }
  apply_buffer_flags(f.buffer, t);
  apply_ip_rule_flags(f.ip_rules, t);
  if (t.buffer_resign) {
    if (auto problem = config::resign_problem(t.verify_webhook); !problem.empty()) {
      throw CLI::ValidationError("--buffer-resign", problem);
    }
  }
  o.tunnels.push_back(std::move(t));
  return o;
}

// `console`: draw the status block on stdout (a terminal) instead of printing plain lines.
int run_http(agent::AgentOptions options, bool console) {
  asio::io_context io(kOneIoThread);
  std::optional<EmbeddedEdge> embedded;
  if (options.edges.empty()) {
    try {
      embedded.emplace(io);
      embedded->start();
    } catch (const std::exception& e) {
      std::cerr << "relay: " << e.what() << "\n";
      return kExitFailure;
    }
    options.edges = {embedded->agent_address()};
    options.edge_pinned_pem = embedded->certificate_pem();
  }

  std::optional<agent::Agent> agent;
  std::string web_url;
  try {
    agent.emplace(io, std::move(options));
  } catch (const std::exception& e) {
    std::cerr << "relay: " << e.what() << "\n";
    return kExitUsage;
  }
  try {
    web_url = agent->start_inspector();
  } catch (const std::exception& e) {
    std::cerr << "relay: " << e.what() << "\n";
    return kExitFailure;
  }

  std::optional<ConsoleStatus> status;
  if (console) {
    status.emplace(io, std::cout, RELAY_VERSION, web_url, [&] { return agent->tunnels(); });
    agent->set_events({
        .tunnel_started = [&](const agent::TunnelStatus& t) { status->tunnel_started(t); },
        .session_state = [&](std::string_view s,
                             std::string_view detail) { status->session_state(s, detail); },
        .request_finished = [&](const agent::RequestSummary& r) { status->request_finished(r); },
    });
    status->start();
  } else {
    // Flushed: scripts wait for these lines.
    if (!web_url.empty()) std::cout << "Web Interface  " << web_url << std::endl;
    agent->set_events({.tunnel_started =
                           [](const agent::TunnelStatus& t) {
                             std::cout << "Forwarding  " << t.public_url << " -> " << t.addr
                                       << std::endl;
                           },
                       .session_state = {},
                       .request_finished = {}});
  }

  return run_agent_until_stopped(io, *agent, embedded ? &*embedded : nullptr,
                                 "relay: ", {.on_stopping = {}, .on_finished = [&] {
                                               if (status) status->stop();
                                             }});
}

}  // namespace

void add_http_command(CLI::App& app, CliContext& ctx) {
  auto f = std::make_shared<HttpFlags>();
  auto* cmd = app.add_subcommand(
      "http", "Forward a public URL to a local HTTP app (embedded edge on loopback unless --edge)");
  cmd->add_option("UPSTREAM", f->upstream,
                  "Your app: 3000, localhost:3000, 127.0.0.1:3000, [::1]:3000, http://host:port, "
                  "https://host:port")
      ->required();
  cmd->add_option(
      "--url", f->url,
      "Public name or URL to ask for (myhook, https://myhook.example.com); random if unset");
  add_edge_flags(*cmd, f->edges, f->ha_connections);
  cmd->add_option("--authtoken", f->authtoken,
                  "Authtoken for the edge: env:NAME or file:PATH (a literal shows in ps); "
                  "default $RELAY_AUTHTOKEN");
  cmd->add_option("--edge-ca", f->edge_ca,
                  "Trust this CA (PEM) for the edge's certificate instead of the system store");
  cmd->add_flag("--edge-insecure", f->edge_insecure,
                "Do not verify the edge's certificate (tests only)");
  cmd->add_option("--host-header", f->host_header,
                  "Host header for the app: rewrite (to the upstream's host:port) or a value");
  cmd->add_option("--verify-webhook", f->verify_provider,
                  "Verify webhook signatures of this provider (see `relay providers`)");
  cmd->add_option("--verify-webhook-secret", f->verify_secret,
                  "The provider's signing secret: env:NAME or file:PATH (a literal shows in ps)");
  cmd->add_option("--verify-webhook-enforce", f->verify_enforce,
                  "false: log and deliver requests whose signature fails instead of answering 403")
      ->default_str("true");
  cmd->add_option("--inspect,--inspect-addr", f->inspect,
                  "Inspector address, or false to turn it off")
      ->default_str("127.0.0.1:4040");
  cmd->add_option("--state-dir", f->state_dir,
                  "Where captured requests are kept (default: $RELAY_STATE_DIR, else "
                  "$XDG_STATE_HOME/relay, else ~/.local/state/relay)");
  add_upstream_timeout_flag(*cmd, f->upstream_timeout);
  add_buffer_flags(*cmd, f->buffer);
  add_ip_rule_flags(*cmd, f->ip_rules);
  cmd->callback([&app, &ctx, f] {
    // On a terminal the status block replaces the log, as ngrok's console does; --log brings
    // the log back (to a file, or to stderr when that is not the same terminal).
    const bool console = isatty(STDOUT_FILENO) != 0;
    if (console && app.get_option("--log")->count() == 0) {
      CliContext quiet = ctx;
      quiet.log_target = "false";
      quiet.apply_logging();
    } else {
      ctx.apply_logging();
    }
    ctx.exit_code = run_http(options_from_flags(*f), console);
  });
}

}  // namespace relay::cli
