#include "cli/start_runtime.hpp"

#include <csignal>
#include <iostream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cli/agent_lifetime.hpp"
#include "cli/embedded_edge.hpp"
#include "cli/event_loop.hpp"
#include "cli/sd_notify.hpp"
#include "cli/tunnel_reload.hpp"
#include "relay/agent/agent.hpp"
#include "relay/core/log.hpp"

namespace relay::cli {

namespace asio = boost::asio;

namespace {

// Everything here runs on the io_context's one thread: the agent, the signal handlers and the
// reload coroutine, so `running` needs no lock.
class StartRuntime {
 public:
  StartRuntime(asio::io_context& io, agent::AgentOptions options, StartRequest request,
               EmbeddedEdge* embedded)
      : io_(io),
        embedded_(embedded),
        request_(std::move(request)),
        running_(options.tunnels),
        agent_(io, std::move(options)),
        hangup_(io, SIGHUP) {}

  int run() {
    agent_.set_events({
        .tunnel_started =
            [](const agent::TunnelStatus& status) {
              std::cout << "tunnel " << status.name << ": " << status.public_url << " → "
                        << status.addr << std::endl;
            },
        .session_state =
            [this](std::string_view state, std::string_view detail) {
              core::log_event(*log_, spdlog::level::info, "session",
                              {{"state", std::string{state}}, {"detail", std::string{detail}}});
              if (state == "online" && !ready_sent_) {
                ready_sent_ = true;
                notifier_.ready("online, " + std::to_string(running_.size()) + " tunnel(s)");
                notifier_.start_watchdog(io_);
              } else if (state == "online" || state == "reconnecting") {
                notifier_.status(std::string{state});
              }
            },
    });
    // Flushed: client libraries and scripts wait for this line (and the log line).
    if (auto url = agent_.start_inspector(); !url.empty()) {
      std::cout << "Web Interface  " << url << std::endl;
    }
    wait_hangup();
    return run_agent_until_stopped(io_, agent_, embedded_, "relay start: ",
                                   {.on_stopping = [this] { notifier_.stopping(); },
                                    .on_finished =
                                        [this] {
                                          notifier_.stop_watchdog();
                                          hangup_.cancel();
                                        }});
  }

 private:
  void wait_hangup() {
    hangup_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (!reloading_) {
        reloading_ = true;
        asio::co_spawn(io_, reload(), [this](const std::exception_ptr& error) {
          reloading_ = false;
          if (error) {
            try {
              std::rethrow_exception(error);
            } catch (const std::exception& e) {
              core::log_event(*log_, spdlog::level::err, "reload failed", {{"error", e.what()}});
            }
          }
        });
      }
      wait_hangup();
    });
  }

  asio::awaitable<void> reload() {
    notifier_.reloading();
    auto load = config::load_agent_config(request_.paths, config::builtin_provider_check());
    config::Diagnostics diagnostics = load.diagnostics;
    agent::AgentOptions wanted;
    if (load.ok()) wanted = config::to_agent_options(load.config, request_.selection, diagnostics);
    for (const auto& d : diagnostics.all()) {
      core::log_event(
          *log_, d.severity == config::Severity::error ? spdlog::level::err : spdlog::level::warn,
          "config", {{"problem", d.to_string()}});
    }
    if (diagnostics.has_errors()) {
      core::log_event(*log_, spdlog::level::err,
                      "reload rejected: the config has problems; the running tunnels are kept",
                      {{"problems", diagnostics.error_count()}});
      notifier_.ready("reload rejected; fix the config");
      co_return;
    }
    if (wanted.edges != request_.config_edges || wanted.authtoken != request_.config_authtoken ||
        wanted.ha_connections != request_.config_ha_connections) {
      core::log_event(*log_, spdlog::level::warn,
                      "edge(s), ha_connections or authtoken changed in the config; restart relay "
                      "to apply them");
    }
    const auto plan = plan_tunnel_reload(running_, wanted.tunnels);
    for (const auto& name : plan.remove) {
      const auto ec = co_await agent_.remove_tunnel(name);
      std::erase_if(running_, [&](const auto& t) { return t.name == name; });
      core::log_event(*log_, ec ? spdlog::level::warn : spdlog::level::info, "tunnel removed",
                      {{"tunnel", name}, {"result", ec ? ec.message() : "ok"}});
    }
    for (const auto& tunnel : plan.add) {
      auto result = co_await agent_.add_tunnel(tunnel);
      if (result) {
        running_.push_back(tunnel);
        std::cout << "tunnel " << result->name << ": " << result->public_url << " → "
                  << result->addr << std::endl;
      } else {
        core::log_event(
            *log_, spdlog::level::err, "tunnel not added",
            {{"tunnel", tunnel.name},
             {"error", agent_.last_error_message().empty() ? result.error().message()
                                                           : agent_.last_error_message()}});
      }
    }
    core::log_event(*log_, spdlog::level::info, "config reloaded",
                    {{"removed", plan.remove.size() - plan.changed.size()},
                     {"changed", plan.changed.size()},
                     {"added", plan.add.size() - plan.changed.size()},
                     {"tunnels", running_.size()}});
    notifier_.ready("online, " + std::to_string(running_.size()) + " tunnel(s)");
  }

  asio::io_context& io_;
  EmbeddedEdge* embedded_;  // nullptr when an edge is configured
  StartRequest request_;
  std::vector<agent::TunnelOptions> running_;
  agent::Agent agent_;
  asio::signal_set hangup_;
  SdNotifier notifier_;
  std::shared_ptr<spdlog::logger> log_ = core::logger("relay.start");
  bool reloading_ = false;
  bool ready_sent_ = false;
};

}  // namespace

int run_agent_with_reload(agent::AgentOptions options, StartRequest request) {
  asio::io_context io{kOneIoThread};
  if (options.version.empty()) options.version = RELAY_VERSION;
  try {
    // No edge configured: one on loopback in this process, as `relay http` does.
    std::optional<EmbeddedEdge> embedded;
    if (options.edges.empty()) {
      embedded.emplace(io);
      embedded->start();
      options.edges = {embedded->agent_address()};
      options.edge_pinned_pem = embedded->certificate_pem();
    }
    StartRuntime runtime{io, std::move(options), std::move(request),
                         embedded ? &*embedded : nullptr};
    return runtime.run();
  } catch (const std::exception& e) {
    std::cerr << "relay start: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace relay::cli
