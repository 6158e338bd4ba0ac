#include "agent/pipeline.hpp"

#include <chrono>
#include <string>

#include "agent/agent_metrics.hpp"
#include "agent/tunnel_runtime.hpp"
#include "relay/core/log.hpp"

namespace relay::agent {

namespace asio = boost::asio;

asio::awaitable<void> Pipeline::run(Exchange& x) {
  begin(x);
  for (const auto& step : steps_) {
    const auto outcome = co_await step->run(x);
    if (outcome == Step::Outcome::answered) break;
  }
  end(x);
}

void Pipeline::begin(Exchange& x) {
  auto& tunnel = *x.tunnel;
  ++tunnel.open;
  if (tunnel.metrics != nullptr) {
    tunnel.metrics->set_in_flight(tunnel.options.name, static_cast<double>(tunnel.open),
                                  tunnel.series);
  }
}

void Pipeline::end(Exchange& x) {
  auto& tunnel = *x.tunnel;
  for (auto& step : steps_) step->finished(x);

  --tunnel.open;
  ++tunnel.requests;
  if (!x.relay_code.empty() || x.status == 0) ++tunnel.errors;
  const auto elapsed = std::chrono::steady_clock::now() - x.started;
  auto ms = std::chrono::duration<double, std::milli>(elapsed);
  if (tunnel.metrics != nullptr) {
    tunnel.metrics->request(x, ms.count() / 1000, tunnel.series);
    tunnel.metrics->set_in_flight(tunnel.options.name, static_cast<double>(tunnel.open),
                                  tunnel.series);
  }
  static const auto log = core::logger("relay.agent.request");
  auto level = x.status == 0 || x.status >= 500 ? spdlog::level::warn : spdlog::level::info;
  if (tunnel.events != nullptr && tunnel.events->request_finished) {
    tunnel.events->request_finished({tunnel.options.name, std::string(x.method),
                                     std::string(x.path), x.status,
                                     std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now() - x.started),
                                     std::string(x.relay_code), !x.replay_of.empty()});
  }
  core::log_request_event(*log, level, "request",
                          {{"tunnel", tunnel.options.name},
                           {"method", x.method},
                           {"path", x.path},
                           {"status", x.status},
                           {"duration_ms", core::LogValue::milliseconds(elapsed, 2)},
                           {"req", x.request_id},
                           {"code", x.relay_code},
                           {"error", x.detail}});
}

}  // namespace relay::agent
