// `relay http UPSTREAM`: one tunnel to a local app, through --edge or an embedded edge.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "agent/tunnel_runtime.hpp"
#include "agent/upstream_address.hpp"
#include "cli/commands.hpp"
#include "cli/embedded_edge.hpp"
#include "relay/agent/agent.hpp"
#include "relay/core/log.hpp"

namespace relay::cli {

namespace asio = boost::asio;

namespace {

struct HttpFlags {
  std::string upstream;
  std::string url;
  std::string edge;
  std::string authtoken;
  std::string edge_ca;
  bool edge_insecure = false;
  std::string host_header;
  std::string verify_provider;
  std::string verify_secret;
  bool verify_enforce = true;
  std::string inspect = "127.0.0.1:4040";
};

agent::AgentOptions options_from_flags(const HttpFlags& f) {
  std::string error;
  if (!agent::parse_upstream_address(f.upstream, error))
    throw CLI::ValidationError("UPSTREAM", error);
  if (!agent::requested_tunnel_name(f.url, error)) throw CLI::ValidationError("--url", error);
  if (f.host_header.find_first_of("\r\n") != std::string::npos) {
    throw CLI::ValidationError("--host-header", "must be 'rewrite' or a host name");
  }
  if (!f.edge_ca.empty() && f.edge.empty()) {
    throw CLI::ValidationError("--edge-ca", "only means something with --edge HOST:PORT");
  }
  agent::AgentOptions o;
  o.edge = f.edge;
  o.authtoken = f.authtoken;
  if (o.authtoken.empty()) {
    if (const char* env = std::getenv("RELAY_AUTHTOKEN")) o.authtoken = env;
  }
  o.edge_ca_file = f.edge_ca;
  o.edge_insecure = f.edge_insecure;
  o.inspect_addr = f.inspect == "false" ? "" : f.inspect;

  agent::TunnelOptions t;
  t.addr = f.upstream;
  t.url = f.url;
  t.host_header = f.host_header;
  if (!f.verify_provider.empty()) {
    if (f.verify_secret.empty()) {
      throw CLI::ValidationError("--verify-webhook-secret",
                                 "--verify-webhook " + f.verify_provider +
                                     " needs the signing secret: pass --verify-webhook-secret S");
    }
    t.verify_webhook = agent::WebhookVerification{f.verify_provider, f.verify_secret, std::nullopt,
                                                  f.verify_enforce};
  } else if (!f.verify_secret.empty()) {
    throw CLI::ValidationError("--verify-webhook-secret",
                               "needs --verify-webhook PROVIDER (see `relay providers`)");
  }
  o.tunnels.push_back(std::move(t));
  return o;
}

int run_http(agent::AgentOptions options) {
  asio::io_context io(1);
  std::optional<EmbeddedEdge> embedded;
  if (options.edge.empty()) {
    try {
      embedded.emplace(io);
      embedded->start();
    } catch (const std::exception& e) {
      std::cerr << "relay: " << e.what() << "\n";
      return kExitFailure;
    }
    options.edge = embedded->agent_address();
    options.edge_pinned_pem = embedded->certificate_pem();
  }

  std::optional<agent::Agent> agent;
  try {
    agent.emplace(io, std::move(options));
  } catch (const std::exception& e) {
    std::cerr << "relay: " << e.what() << "\n";
    return kExitUsage;
  }
  agent->set_events({.tunnel_started =
                         [](const agent::TunnelStatus& t) {
                           std::cout << "Forwarding  " << t.public_url << " -> " << t.addr
                                     << std::endl;  // flush: scripts wait for this line
                         },
                     .session_state = {}});

  int exit_code = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (stopping) {  // a second signal: stop now
          io.stop();
          return;
        }
        stopping = true;
        core::logger("relay.agent")
            ->info("stopping: requests in flight get up to 10 s (signal again to stop now)");
        signals.async_wait(on_signal);
        agent->stop();
      };
  signals.async_wait(on_signal);

  auto main = [&]() -> asio::awaitable<void> {
    auto ec = co_await agent->run();
    if (ec) {
      std::cerr << "relay: " << agent->last_error_message() << "\n";
      exit_code = kExitFailure;
    }
    if (embedded) co_await embedded->stop(std::chrono::seconds(5));
    signals.cancel();
  };
  asio::co_spawn(io, main(), [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::cerr << "relay: " << ex.what() << "\n";
    }
    exit_code = kExitFailure;
    io.stop();
  });
  io.run();
  return exit_code;
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
  cmd->add_option("--edge", f->edge,
                  "The edge's agent listener HOST:PORT (default: an embedded edge on loopback)");
  cmd->add_option("--authtoken", f->authtoken, "Authtoken for the edge (also $RELAY_AUTHTOKEN)");
  cmd->add_option("--edge-ca", f->edge_ca,
                  "Trust this CA (PEM) for the edge's certificate instead of the system store");
  cmd->add_flag("--edge-insecure", f->edge_insecure,
                "Do not verify the edge's certificate (tests only)");
  cmd->add_option("--host-header", f->host_header,
                  "Host header for the app: rewrite (to the upstream's host:port) or a value");
  cmd->add_option("--verify-webhook", f->verify_provider,
                  "Verify webhook signatures of this provider (see `relay providers`)");
  cmd->add_option("--verify-webhook-secret", f->verify_secret,
                  "The provider's signing secret (env:NAME and file:PATH work)");
  cmd->add_option("--verify-webhook-enforce", f->verify_enforce,
                  "false: log and deliver requests whose signature fails instead of answering 403")
      ->default_str("true");
  cmd->add_option("--inspect", f->inspect, "Inspector address, or false to turn it off")
      ->default_str("127.0.0.1:4040");
  cmd->callback([&ctx, f] {
    ctx.apply_logging();
    ctx.exit_code = run_http(options_from_flags(*f));
  });
}

}  // namespace relay::cli
