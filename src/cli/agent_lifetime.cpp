#include "cli/agent_lifetime.hpp"

#include <csignal>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cli/cli_context.hpp"
#include "cli/embedded_edge.hpp"
#include "relay/agent/agent.hpp"

namespace relay::cli {

namespace asio = boost::asio;

int run_agent_until_stopped(asio::io_context& io, agent::Agent& agent, EmbeddedEdge* embedded,
                            const std::string& prefix, AgentLifetimeHooks hooks) {
  int exit_code = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  // Runs on the io thread like everything else, so `stopping` needs no lock.
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (stopping) {  // a second signal: stop now
          io.stop();
          return;
        }
        stopping = true;
        if (hooks.on_stopping) hooks.on_stopping();
        std::cerr << prefix
                  << "stopping: requests in flight get up to 10 s (signal again to stop now)\n";
        signals.async_wait(on_signal);
        agent.stop();
      };
  signals.async_wait(on_signal);

  auto main = [&]() -> asio::awaitable<void> {
    if (const auto ec = co_await agent.run()) {
      std::cerr << prefix << agent.last_error_message() << "\n";
      exit_code = kExitFailure;
    }
    if (hooks.on_finished) hooks.on_finished();
    if (embedded != nullptr) co_await embedded->stop(std::chrono::seconds(5));
    signals.cancel();
  };
  asio::co_spawn(io, main(), [&](const std::exception_ptr& error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      std::cerr << prefix << e.what() << "\n";
    }
    exit_code = kExitFailure;
    io.stop();
  });
  io.run();
  return exit_code;
}

}  // namespace relay::cli
