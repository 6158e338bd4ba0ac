#include "cli/buffer_flags.hpp"

#include <charconv>
#include <cstdint>

#include "relay/config/buffer_settings.hpp"

namespace relay::cli {

namespace {

std::chrono::seconds duration_flag(const std::string& text, const char* flag) {
  auto value = config::parse_duration(text);
  if (!value) {
    throw CLI::ValidationError(flag,
                               "expected a duration such as 30s, 5m, 72h, got '" + text + "'");
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*value);
}

std::int64_t number_flag(const std::string& text, const char* flag) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    throw CLI::ValidationError(flag, "expected a whole number, got '" + text + "'");
  }
  return value;
}

// One setting against the bounds the edge also applies (core::BufferPolicyBounds).
void check(const core::BufferPolicy& probe, const char* flag, const std::string& text) {
  auto problem = config::buffer_setting_problem(probe);
  if (!problem.empty()) throw CLI::ValidationError(flag, problem + ", got '" + text + "'");
}

}  // namespace

void add_buffer_flags(CLI::App& cmd, BufferFlags& f) {
  cmd.add_option("--buffer", f.mode,
                 "Durable delivery: offline (the default of --buffer alone) queues webhooks at "
                 "the edge while this agent or the app is down and delivers them later; always "
                 "queues every request and answers at once; off")
      ->expected(0, 1)
      ->default_str("offline")
      ->type_name("[offline|always|off]");
  cmd.add_option("--buffer-ttl", f.ttl,
                 "How long an undelivered webhook is kept before it is dead-lettered (e.g. 72h)")
      ->type_name("DURATION")
      ->default_str("72h");
  cmd.add_option("--buffer-max", f.max, "Webhooks queued for this tunnel at most; more: 503")
      ->type_name("N")
      ->default_str("100000");
  cmd.add_option("--buffer-status", f.status,
                 "The status the edge answers a queued webhook with (2xx)")
      ->type_name("STATUS")
      ->default_str("200");
  cmd.add_option("--buffer-concurrency", f.concurrency,
                 "Queued webhooks delivered to the app at the same time (1-64)")
      ->type_name("N")
      ->default_str("4");
  cmd.add_flag("--buffer-ordered", f.ordered,
               "Deliver queued webhooks strictly one at a time, oldest first");
  cmd.add_flag("--buffer-resign", f.resign,
               "After a queued webhook's signature verified (at the time the edge received it), "
               "sign it again at delivery time for apps that check freshness themselves "
               "(needs --verify-webhook with a provider relay can sign for)");
  cmd.add_option("--buffer-dedupe-window", f.dedupe_window,
                 "A provider event id seen within this window is answered as a duplicate and "
                 "not queued again (0 = off)")
      ->type_name("DURATION")
      ->default_str("24h");
}

void apply_buffer_flags(const BufferFlags& f, agent::TunnelOptions& tunnel) {
  core::BufferPolicy policy;
  if (!f.mode.empty()) {
    auto mode = config::parse_buffer_setting(f.mode);
    if (!mode) {
      throw CLI::ValidationError(
          "--buffer", std::string(config::kBufferModeExpected) + ", got '" + f.mode + "'");
    }
    policy.mode = *mode;
  }
  // The first setting given, for the message when --buffer is missing.
  const char* setting = !f.ttl.empty()             ? "--buffer-ttl"
                        : !f.max.empty()           ? "--buffer-max"
                        : !f.status.empty()        ? "--buffer-status"
                        : !f.concurrency.empty()   ? "--buffer-concurrency"
                        : !f.dedupe_window.empty() ? "--buffer-dedupe-window"
                        : f.ordered                ? "--buffer-ordered"
                        : f.resign                 ? "--buffer-resign"
                                                   : nullptr;
  if (!policy.enabled()) {
    if (setting != nullptr && f.mode.empty()) {
      throw CLI::ValidationError(setting,
                                 "only means something with --buffer (offline or always); add "
                                 "--buffer");
    }
    tunnel.buffer.reset();
    tunnel.buffer_resign = false;
    return;
  }
  if (!f.ttl.empty()) {
    core::BufferPolicy probe;
    probe.ttl = duration_flag(f.ttl, "--buffer-ttl");
    check(probe, "--buffer-ttl", f.ttl);
    policy.ttl = probe.ttl;
  }
  if (!f.dedupe_window.empty()) {
    core::BufferPolicy probe;
    probe.dedupe_window = duration_flag(f.dedupe_window, "--buffer-dedupe-window");
    check(probe, "--buffer-dedupe-window", f.dedupe_window);
    policy.dedupe_window = probe.dedupe_window;
  }
  if (!f.max.empty()) {
    core::BufferPolicy probe;
    auto n = number_flag(f.max, "--buffer-max");
    probe.max_events = n < 0 ? 0 : static_cast<std::uint64_t>(n);
    check(probe, "--buffer-max", f.max);
    policy.max_events = probe.max_events;
  }
  if (!f.status.empty()) {
    core::BufferPolicy probe;
    auto n = number_flag(f.status, "--buffer-status");
    probe.status = n < 0 || n > 999 ? 0 : static_cast<int>(n);
    check(probe, "--buffer-status", f.status);
    policy.status = probe.status;
  }
  if (!f.concurrency.empty()) {
    core::BufferPolicy probe;
    auto n = number_flag(f.concurrency, "--buffer-concurrency");
    probe.concurrency = n < 0 || n > 1000 ? 0 : static_cast<int>(n);
    check(probe, "--buffer-concurrency", f.concurrency);
    policy.concurrency = probe.concurrency;
  }
  policy.ordered = f.ordered;
  tunnel.buffer = policy;
  tunnel.buffer_resign = f.resign;
}

}  // namespace relay::cli
