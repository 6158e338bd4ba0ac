#include "agent/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "agent/agent_metrics.hpp"
#include "agent/tunnel_runtime.hpp"
#include "relay/core/log.hpp"

namespace relay::agent {

namespace asio = boost::asio;

namespace {

// "12.34": milliseconds with two decimals, as printf's "%.2f" of a double wrote them (halves of
// the last digit round up), from integers: formatting a double cost ~2,000 instructions per
// request, this ~100.
std::string milliseconds_text(std::chrono::steady_clock::duration elapsed) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  const auto hundredths = (std::max<std::int64_t>(ns, 0) + 5'000) / 10'000;
  auto text = std::to_string(hundredths / 100);
  text += '.';
  text += static_cast<char>('0' + hundredths % 100 / 10);
  text += static_cast<char>('0' + hundredths % 10);
  return text;
}

}  // namespace

asio::awaitable<void> Pipeline::run(Exchange& x) {
  auto& tunnel = *x.tunnel;
  ++tunnel.open;
  if (tunnel.metrics != nullptr) {
    tunnel.metrics->set_in_flight(tunnel.options.name, static_cast<double>(tunnel.open),
                                  tunnel.series);
  }
  for (auto& step : steps_) {
    if (co_await step->run(x) == Step::Outcome::answered) break;
  }
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
    tunnel.events->request_finished({tunnel.options.name, x.method, x.path, x.status,
                                     std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now() - x.started),
                                     std::string(x.relay_code), !x.replay_of.empty()});
  }
  const auto duration = milliseconds_text(elapsed);
  core::log_request_event(*log, level, "request",
                          {{"tunnel", tunnel.options.name},
                           {"method", x.method},
                           {"path", x.path},
                           {"status", std::to_string(x.status)},
                           {"duration_ms", duration},
                           {"req", x.request_id},
                           {"code", std::string(x.relay_code)},
                           {"error", x.detail}});
}

}  // namespace relay::agent
