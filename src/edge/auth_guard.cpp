#include "edge/auth_guard.hpp"

#include <fmt/format.h>

#include "relay/core/log.hpp"

namespace relay::edge {

namespace {

void log_summaries(EdgeState& state, const std::string& key,
                   const AuthFailureLimiter::Decision& d) {
  if (d.suppressed > 0) {
    core::log_event(*state.log, spdlog::level::warn, "failed agent authentications not logged",
                    {{"address", key}, {"suppressed", d.suppressed}, {"period", "60s"}});
  }
  if (d.suppressed_total > 0) {
    core::log_event(*state.log, spdlog::level::warn, "failed agent authentications not logged",
                    {{"address", "all"}, {"suppressed", d.suppressed_total}, {"period", "60s"}});
  }
}

}  // namespace

std::string auth_limit_key(const boost::asio::ip::address& address) {
  if (address.is_v4()) return address.to_string();
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

AuthCheck check_auth_block(EdgeState& state, const std::string& key, const std::string& remote) {
  auto d = state.auth_failures.check(key, std::chrono::steady_clock::now());
  if (!d.retry_after) return {};
  log_summaries(state, key, d);
  AuthBlock block{
      Refusal{429, "too_many_auth_failures",
              fmt::format("too many failed authtoken attempts from this address; retry in {} s "
                          "with a valid --authtoken",
                          d.retry_after->count())},
      *d.retry_after};
  if (d.log) {
    core::log_event(*state.log, spdlog::level::warn, "agent refused",
                    {{"agent", remote},
                     {"status", "429"},
                     {"code", block.refusal.code},
                     {"retry_after", d.retry_after->count()}});
  }
  return block;
}

void note_auth_failure(EdgeState& state, const std::string& key, const std::string& remote,
                       const Refusal& refusal) {
  auto d = state.auth_failures.record_failure(key, std::chrono::steady_clock::now());
  log_summaries(state, key, d);
  if (d.blocked_now) {
    core::log_event(*state.log, spdlog::level::warn,
                    "agent address blocked after failed authtokens",
                    {{"agent", remote},
                     {"address", key},
                     {"failures", state.options.limits.auth_failures_per_minute},
                     {"retry_after", d.retry_after->count()}});
  } else if (d.log) {
    // The token itself is never logged.
    core::log_event(*state.log, spdlog::level::warn, "agent refused",
                    {{"agent", remote},
                     {"status", refusal.status},
                     {"code", refusal.code},
                     {"reason", refusal.message}});
  }
}

}  // namespace relay::edge
