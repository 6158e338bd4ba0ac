#include "relay/net/tunnel_protocol.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace relay::net::protocol {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Reads an optional string member; false (and `error` set) if present with another type.
bool read_string(const json& obj, const char* key, std::string& out, std::string& error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    error = std::string("'") + key + "' must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

// Reads an optional integer member within [low, high].
template <class T>
bool read_integer(const json& obj, const char* key, T& out, std::int64_t low, std::int64_t high,
                  std::string& error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_number_integer() || it->get<std::int64_t>() < low || it->get<std::int64_t>() > high) {
    error = std::string("'") + key + "' must be an integer between " + std::to_string(low) +
            " and " + std::to_string(high);
    return false;
  }
  out = static_cast<T>(it->get<std::int64_t>());
  return true;
}

bool read_bool(const json& obj, const char* key, bool& out, std::string& error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_boolean()) {
    error = std::string("'") + key + "' must be true or false";
    return false;
  }
  out = it->get<bool>();
  return true;
}

bool read_seconds(const json& obj, const char* key, std::chrono::seconds& out, std::int64_t high,
                  std::string& error) {
  std::int64_t value = out.count();
  if (!read_integer(obj, key, value, 0, high, error)) return false;
  out = std::chrono::seconds(value);
  return true;
}

// "buffer": {"mode","ttl","max","status","concurrency","ordered","dedupe_window"}; seconds.
bool parse_buffer(const json& t, std::optional<core::BufferPolicy>& out, std::string& error) {
  auto it = t.find("buffer");
  if (it == t.end() || it->is_null()) return true;
  if (!it->is_object()) {
    error = "'buffer' must be an object";
    return false;
  }
  core::BufferPolicy policy;
  std::string mode = "offline";
  if (!read_string(*it, "mode", mode, error)) return false;
  auto parsed = core::parse_buffer_mode(mode);
  if (!parsed) {
    error = R"('buffer.mode' must be "off", "offline" or "always")";
    return false;
  }
  policy.mode = *parsed;
  using B = core::BufferPolicyBounds;
  if (!read_seconds(*it, "ttl", policy.ttl, B::kMaxTtl.count(), error) ||
      !read_integer(*it, "max", policy.max_events, 0, B::kMaxEvents, error) ||
      !read_integer(*it, "status", policy.status, 0, 999, error) ||
      !read_integer(*it, "concurrency", policy.concurrency, 0, B::kMaxConcurrency, error) ||
      !read_bool(*it, "ordered", policy.ordered, error) ||
      !read_seconds(*it, "dedupe_window", policy.dedupe_window, B::kMaxDedupeWindow.count(),
                    error)) {
    error = "in 'buffer': " + error;
    return false;
  }
  if (auto why = core::buffer_policy_error(policy); !why.empty()) {
    error = "in 'buffer': " + std::string(why);
    return false;
  }
  if (policy.enabled()) out = policy;
  return true;
}

json buffer_json(const core::BufferPolicy& p) {
  return {{"mode", core::to_string(p.mode)},
          {"ttl", p.ttl.count()},
          {"max", p.max_events},
          {"status", p.status},
          {"concurrency", p.concurrency},
          {"ordered", p.ordered},
          {"dedupe_window", p.dedupe_window.count()}};
}

bool parse_ip_rules(const json& t, const char* key, std::vector<std::string>& out,
                    std::string& error) {
  auto it = t.find(key);
  if (it == t.end() || it->is_null()) return true;
  if (!it->is_array() || it->size() > kMaxIpRules) {
    error = std::string("'") + key + "' must be an array of at most " +
            std::to_string(kMaxIpRules) + " CIDR strings";
    return false;
  }
  for (const auto& rule : *it) {
    if (!rule.is_string()) {
      error = std::string("'") + key + "' must be an array of CIDR strings";
      return false;
    }
    out.push_back(rule.get<std::string>());
  }
  return true;
}

bool parse_tunnels(const json& obj, std::vector<TunnelRequest>& out, std::string& error) {
  auto it = obj.find("tunnels");
  if (it == obj.end()) return true;
  if (!it->is_array()) {
    error = "'tunnels' must be an array";
    return false;
  }
  for (const auto& t : *it) {
    if (!t.is_object()) {
      error = "each entry of 'tunnels' must be an object";
      return false;
    }
    TunnelRequest r;
    if (!read_string(t, "name", r.name, error) || !read_string(t, "proto", r.proto, error) ||
        !read_string(t, "hostname", r.hostname, error) || !parse_buffer(t, r.buffer, error) ||
        !parse_ip_rules(t, "ip_allow", r.ip_allow, error) ||
        !parse_ip_rules(t, "ip_deny", r.ip_deny, error)) {
      return false;
    }
    if (r.proto.empty()) r.proto = "http";
    out.push_back(std::move(r));
  }
  return true;
}

json tunnels_json(const std::vector<TunnelRequest>& tunnels) {
  json arr = json::array();
  for (const auto& t : tunnels) {
    json o = {{"name", t.name}, {"proto", t.proto}};
    if (!t.hostname.empty()) o["hostname"] = t.hostname;
    if (t.buffer && t.buffer->enabled()) o["buffer"] = buffer_json(*t.buffer);
    if (!t.ip_allow.empty()) o["ip_allow"] = t.ip_allow;
    if (!t.ip_deny.empty()) o["ip_deny"] = t.ip_deny;
    arr.push_back(std::move(o));
  }
  return arr;
}

json infos_json(const std::vector<TunnelInfo>& tunnels) {
  json arr = json::array();
  for (const auto& t : tunnels) arr.push_back({{"name", t.name}, {"public_url", t.public_url}});
  return arr;
}

bool parse_infos(const json& obj, std::vector<TunnelInfo>& out, std::string& error) {
  auto it = obj.find("tunnels");
  if (it == obj.end()) return true;
  if (!it->is_array()) {
    error = "'tunnels' must be an array";
    return false;
  }
  for (const auto& t : *it) {
    if (!t.is_object()) {
      error = "each entry of 'tunnels' must be an object";
      return false;
    }
    TunnelInfo info;
    if (!read_string(t, "name", info.name, error) ||
        !read_string(t, "public_url", info.public_url, error)) {
      return false;
    }
    out.push_back(std::move(info));
  }
  return true;
}

json summary_json(const DeliverySummary& d) {
  return {{"id", d.id},
          {"tunnel", d.tunnel},
          {"state", d.state},
          {"method", d.method},
          {"path", d.path},
          {"received_at_ms", d.received_at_ms},
          {"attempts", d.attempts},
          {"next_attempt_at_ms", d.next_attempt_at_ms},
          {"last_status", d.last_status},
          {"last_error", d.last_error},
          {"event_id", d.event_id},
          {"body_bytes", d.body_bytes}};
}

bool parse_summaries(const json& obj, std::vector<DeliverySummary>& out, std::string& error) {
  auto it = obj.find("deliveries");
  if (it == obj.end()) return true;
  if (!it->is_array()) {
    error = "'deliveries' must be an array";
    return false;
  }
  constexpr std::int64_t kMax = INT64_MAX;
  for (const auto& d : *it) {
    if (!d.is_object()) {
      error = "each entry of 'deliveries' must be an object";
      return false;
    }
    DeliverySummary s;
    if (!read_string(d, "id", s.id, error) || !read_string(d, "tunnel", s.tunnel, error) ||
        !read_string(d, "state", s.state, error) || !read_string(d, "method", s.method, error) ||
        !read_string(d, "path", s.path, error) ||
        !read_integer(d, "received_at_ms", s.received_at_ms, 0, kMax, error) ||
        !read_integer(d, "attempts", s.attempts, 0, INT32_MAX, error) ||
        !read_integer(d, "next_attempt_at_ms", s.next_attempt_at_ms, 0, kMax, error) ||
        !read_integer(d, "last_status", s.last_status, 0, 999, error) ||
        !read_string(d, "last_error", s.last_error, error) ||
        !read_string(d, "event_id", s.event_id, error) ||
        !read_integer(d, "body_bytes", s.body_bytes, 0, kMax, error)) {
      return false;
    }
    out.push_back(std::move(s));
  }
  return true;
}

std::optional<json> parse_object(std::string_view text, std::string& error) {
  auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    error = "not valid JSON";
    return std::nullopt;
  }
  if (!j.is_object()) {
    error = "expected a JSON object";
    return std::nullopt;
  }
  return j;
}

}  // namespace

// A switch on the length first: most names are compared with nothing (this runs for every
// field of every request and response, in the edge and in the agent).
bool is_hop_by_hop(std::string_view name) {
  switch (name.size()) {
    case 2:
      return name == "te";
    case 7:
      return name == "trailer" || name == "upgrade";
    case 10:
      return name == "connection" || name == "keep-alive";
    case 16:
      return name == "proxy-connection";
    case 17:
      return name == "transfer-encoding";
    case 18:
      return name == "proxy-authenticate";
    case 19:
      return name == "proxy-authorization";
    default:
      return false;
  }
}

bool is_valid_tunnel_name(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  return std::ranges::all_of(
      name, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

namespace {

// The parsers below keep one message sink while they descend (read_string and its siblings set
// it); the public functions turn it into the Failure (docs/architecture.md § Errors).
std::optional<ConnectRequest> read_connect_request(std::string_view text, std::string& error) {
  auto j = parse_object(text, error);
  if (!j) return std::nullopt;
  ConnectRequest r;
  auto v = j->find("version");
  if (v == j->end() || !v->is_number_integer()) {
    error = "'version' must be an integer";
    return std::nullopt;
  }
  r.version = v->get<int>();
  if (!read_string(*j, "agent_version", r.agent_version, error) ||
      !parse_tunnels(*j, r.tunnels, error)) {
    return std::nullopt;
  }
  auto resume = j->find("resume");
  if (resume != j->end() && !resume->is_null()) {
    if (!resume->is_string()) {
      error = "'resume' must be a string or null";
      return std::nullopt;
    }
    r.resume = resume->get<std::string>();
  }
  return r;
}

}  // namespace

core::Fallible<ConnectRequest> parse_connect_request(std::string_view text) {
  std::string error;
  auto request = read_connect_request(text, error);
  if (!request) return core::Failure{.message = std::move(error)};
  return std::move(*request);
}

std::string serialize(const ConnectRequest& r) {
  json j = {{"version", r.version},
            {"agent_version", r.agent_version},
            {"tunnels", tunnels_json(r.tunnels)}};
  j["resume"] = r.resume ? json(*r.resume) : json(nullptr);
  return dump(j);
}

std::optional<ErrorBody> parse_error_body(std::string_view text) {
  std::string ignored;
  auto j = parse_object(text, ignored);
  if (!j) return std::nullopt;
  auto e = j->find("error");
  if (e == j->end() || !e->is_object()) return std::nullopt;
  ErrorBody body;
  if (!read_string(*e, "code", body.code, ignored) ||
      !read_string(*e, "message", body.message, ignored)) {
    return std::nullopt;
  }
  return body;
}

std::string serialize(const ErrorBody& body) {
  return dump({{"error", {{"code", body.code}, {"message", body.message}}}});
}

namespace {

std::optional<ControlMessage> read_control_message(std::string_view line, std::string& error) {
  auto j = parse_object(line, error);
  if (!j) return std::nullopt;
  std::string type;
  if (!read_string(*j, "type", type, error)) return std::nullopt;
  if (type == "session") {
    SessionMessage m;
    if (!read_string(*j, "id", m.id, error) || !parse_infos(*j, m.tunnels, error))
      return std::nullopt;
    return m;
  }
  if (type == "bind") {
    BindMessage m;
    if (!parse_tunnels(*j, m.tunnels, error)) return std::nullopt;
    return m;
  }
  if (type == "unbind") {
    UnbindMessage m;
    auto names = j->find("names");
    if (names == j->end() || !names->is_array()) {
      error = "'names' must be an array of strings";
      return std::nullopt;
    }
    for (const auto& n : *names) {
      if (!n.is_string()) {
        error = "'names' must be an array of strings";
        return std::nullopt;
      }
      m.names.push_back(n.get<std::string>());
    }
    return m;
  }
  if (type == "bound") {
    BoundMessage m;
    if (!parse_infos(*j, m.tunnels, error)) return std::nullopt;
    return m;
  }
  if (type == "error") {
    ErrorMessage m;
    if (!read_string(*j, "code", m.code, error) || !read_string(*j, "message", m.message, error) ||
        !read_string(*j, "tunnel", m.tunnel, error)) {
      return std::nullopt;
    }
    return m;
  }
  if (type == "list_deliveries") {
    ListDeliveriesMessage m;
    if (!read_string(*j, "request", m.request, error) ||
        !read_string(*j, "tunnel", m.tunnel, error) || !read_string(*j, "state", m.state, error) ||
        !read_integer(*j, "limit", m.limit, 1, 1000, error)) {
      return std::nullopt;
    }
    return m;
  }
  if (type == "deliveries") {
    DeliveriesMessage m;
    if (!read_string(*j, "request", m.request, error) ||
        !parse_summaries(*j, m.deliveries, error)) {
      return std::nullopt;
    }
    return m;
  }
  if (type == "delivery_command") {
    DeliveryCommandMessage m;
    if (!read_string(*j, "request", m.request, error) ||
        !read_string(*j, "action", m.action, error) ||
        !read_string(*j, "delivery_id", m.delivery_id, error) ||
        !read_string(*j, "tunnel", m.tunnel, error) || !read_string(*j, "state", m.state, error)) {
      return std::nullopt;
    }
    return m;
  }
  if (type == "delivery_result") {
    DeliveryResultMessage m;
    if (!read_string(*j, "request", m.request, error) ||
        !read_integer(*j, "count", m.count, 0, INT64_MAX, error) ||
        !read_string(*j, "code", m.code, error) || !read_string(*j, "message", m.message, error)) {
      return std::nullopt;
    }
    return m;
  }
  error = type.empty() ? "missing 'type'" : "unknown message type '" + type + "'";
  return std::nullopt;
}

}  // namespace

core::Fallible<ControlMessage> parse_control_message(std::string_view line) {
  std::string error;
  auto message = read_control_message(line, error);
  if (!message) return core::Failure{.message = std::move(error)};
  return std::move(*message);
}

std::string serialize(const ControlMessage& message) {
  json j = std::visit(
      [](const auto& m) -> json {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, SessionMessage>) {
          return {{"type", "session"}, {"id", m.id}, {"tunnels", infos_json(m.tunnels)}};
        } else if constexpr (std::is_same_v<T, BindMessage>) {
          return {{"type", "bind"}, {"tunnels", tunnels_json(m.tunnels)}};
        } else if constexpr (std::is_same_v<T, UnbindMessage>) {
          return {{"type", "unbind"}, {"names", m.names}};
        } else if constexpr (std::is_same_v<T, BoundMessage>) {
          return {{"type", "bound"}, {"tunnels", infos_json(m.tunnels)}};
        } else if constexpr (std::is_same_v<T, ErrorMessage>) {
          json o = {{"type", "error"}, {"code", m.code}, {"message", m.message}};
          if (!m.tunnel.empty()) o["tunnel"] = m.tunnel;
          return o;
        } else if constexpr (std::is_same_v<T, ListDeliveriesMessage>) {
          return {{"type", "list_deliveries"},
                  {"request", m.request},
                  {"tunnel", m.tunnel},
                  {"state", m.state},
                  {"limit", m.limit}};
        } else if constexpr (std::is_same_v<T, DeliveriesMessage>) {
          json list = json::array();
          for (const auto& d : m.deliveries) list.push_back(summary_json(d));
          return {{"type", "deliveries"}, {"request", m.request}, {"deliveries", std::move(list)}};
        } else if constexpr (std::is_same_v<T, DeliveryCommandMessage>) {
          return {{"type", "delivery_command"},   {"request", m.request}, {"action", m.action},
                  {"delivery_id", m.delivery_id}, {"tunnel", m.tunnel},   {"state", m.state}};
        } else {
          return {{"type", "delivery_result"},
                  {"request", m.request},
                  {"count", m.count},
                  {"code", m.code},
                  {"message", m.message}};
        }
      },
      message);
  return dump(j) + "\n";
}

}  // namespace relay::net::protocol
