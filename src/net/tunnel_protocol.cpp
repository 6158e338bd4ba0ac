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

// The readers below fill one member of the message being built (an absent member keeps its
// default, so the member is theirs to set in place) and say whether the JSON held a valid one.
using Checked = core::Fallible<void>;

core::Failure invalid(std::string message) { return core::Failure{.message = std::move(message)}; }

// The first of `checks` that failed, else success: the readers of one object run in order and
// the message names the first bad member (the readers have no effect but on the object, which a
// failure discards).
Checked first_failure(std::initializer_list<Checked> checks) {
  for (const auto& check : checks) {
    if (!check) return check;
  }
  return {};
}

// Reads an optional string member; a failure if present with another type.
Checked read_string(const json& obj, const char* key, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string()) return invalid(std::string("'") + key + "' must be a string");
  out = it->get<std::string>();
  return {};
}

// Reads an optional integer member within [low, high].
template <class T>
Checked read_integer(const json& obj, const char* key, T& out, std::int64_t low,
                     std::int64_t high) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_number_integer() || it->get<std::int64_t>() < low || it->get<std::int64_t>() > high) {
    return invalid(std::string("'") + key + "' must be an integer between " + std::to_string(low) +
                   " and " + std::to_string(high));
  }
  out = static_cast<T>(it->get<std::int64_t>());
  return {};
}

Checked read_bool(const json& obj, const char* key, bool& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_boolean()) return invalid(std::string("'") + key + "' must be true or false");
  out = it->get<bool>();
  return {};
}

Checked read_seconds(const json& obj, const char* key, std::chrono::seconds& out,
                     std::int64_t high) {
  std::int64_t value = out.count();
  if (auto read = read_integer(obj, key, value, 0, high); !read) return read;
  out = std::chrono::seconds(value);
  return {};
}

// "buffer": {"mode","ttl","max","status","concurrency","ordered","dedupe_window"}; seconds.
Checked parse_buffer(const json& t, std::optional<core::BufferPolicy>& out) {
  auto it = t.find("buffer");
  if (it == t.end() || it->is_null()) return {};
  if (!it->is_object()) return invalid("'buffer' must be an object");
  core::BufferPolicy policy;
  std::string mode = "offline";
  if (auto read = read_string(*it, "mode", mode); !read) return read;
  auto parsed = core::parse_buffer_mode(mode);
  if (!parsed) return invalid(R"('buffer.mode' must be "off", "offline" or "always")");
  policy.mode = *parsed;
  using B = core::BufferPolicyBounds;
  if (auto read = first_failure({
          read_seconds(*it, "ttl", policy.ttl, B::kMaxTtl.count()),
          read_integer(*it, "max", policy.max_events, 0, B::kMaxEvents),
          read_integer(*it, "status", policy.status, 0, 999),
          read_integer(*it, "concurrency", policy.concurrency, 0, B::kMaxConcurrency),
          read_bool(*it, "ordered", policy.ordered),
          read_seconds(*it, "dedupe_window", policy.dedupe_window, B::kMaxDedupeWindow.count()),
      });
      !read) {
    return invalid("in 'buffer': " + read.error().message);
  }
  if (auto why = core::buffer_policy_error(policy); !why.empty()) {
    return invalid("in 'buffer': " + std::string(why));
  }
  if (policy.enabled()) out = policy;
  return {};
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

Checked parse_ip_rules(const json& t, const char* key, std::vector<std::string>& out) {
  auto it = t.find(key);
  if (it == t.end() || it->is_null()) return {};
  if (!it->is_array() || it->size() > kMaxIpRules) {
    return invalid(std::string("'") + key + "' must be an array of at most " +
                   std::to_string(kMaxIpRules) + " CIDR strings");
  }
  for (const auto& rule : *it) {
    if (!rule.is_string()) {
      return invalid(std::string("'") + key + "' must be an array of CIDR strings");
    }
    out.push_back(rule.get<std::string>());
  }
  return {};
}

Checked parse_tunnels(const json& obj, std::vector<TunnelRequest>& out) {
  auto it = obj.find("tunnels");
  if (it == obj.end()) return {};
  if (!it->is_array()) return invalid("'tunnels' must be an array");
  for (const auto& t : *it) {
    if (!t.is_object()) return invalid("each entry of 'tunnels' must be an object");
    TunnelRequest r;
    if (auto read = first_failure({
            read_string(t, "name", r.name),
            read_string(t, "proto", r.proto),
            read_string(t, "hostname", r.hostname),
            parse_buffer(t, r.buffer),
            parse_ip_rules(t, "ip_allow", r.ip_allow),
            parse_ip_rules(t, "ip_deny", r.ip_deny),
        });
        !read) {
      return read;
    }
    if (r.proto.empty()) r.proto = "http";
    out.push_back(std::move(r));
  }
  return {};
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

Checked parse_infos(const json& obj, std::vector<TunnelInfo>& out) {
  auto it = obj.find("tunnels");
  if (it == obj.end()) return {};
  if (!it->is_array()) return invalid("'tunnels' must be an array");
  for (const auto& t : *it) {
    if (!t.is_object()) return invalid("each entry of 'tunnels' must be an object");
    TunnelInfo info;
    if (auto read = first_failure({
            read_string(t, "name", info.name),
            read_string(t, "public_url", info.public_url),
        });
        !read) {
      return read;
    }
    out.push_back(std::move(info));
  }
  return {};
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

Checked parse_summaries(const json& obj, std::vector<DeliverySummary>& out) {
  auto it = obj.find("deliveries");
  if (it == obj.end()) return {};
  if (!it->is_array()) return invalid("'deliveries' must be an array");
  constexpr std::int64_t kMax = INT64_MAX;
  for (const auto& d : *it) {
    if (!d.is_object()) return invalid("each entry of 'deliveries' must be an object");
    DeliverySummary s;
    if (auto read = first_failure({
            read_string(d, "id", s.id),
            read_string(d, "tunnel", s.tunnel),
            read_string(d, "state", s.state),
            read_string(d, "method", s.method),
            read_string(d, "path", s.path),
            read_integer(d, "received_at_ms", s.received_at_ms, 0, kMax),
            read_integer(d, "attempts", s.attempts, 0, INT32_MAX),
            read_integer(d, "next_attempt_at_ms", s.next_attempt_at_ms, 0, kMax),
            read_integer(d, "last_status", s.last_status, 0, 999),
            read_string(d, "last_error", s.last_error),
            read_string(d, "event_id", s.event_id),
            read_integer(d, "body_bytes", s.body_bytes, 0, kMax),
        });
        !read) {
      return read;
    }
    out.push_back(std::move(s));
  }
  return {};
}

core::Fallible<json> parse_object(std::string_view text) {
  auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid("not valid JSON");
  if (!j.is_object()) return invalid("expected a JSON object");
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

core::Fallible<ConnectRequest> parse_connect_request(std::string_view text) {
  auto j = parse_object(text);
  if (!j) return j.error();
  ConnectRequest r;
  auto v = j->find("version");
  if (v == j->end() || !v->is_number_integer()) return invalid("'version' must be an integer");
  r.version = v->get<int>();
  if (auto read = first_failure({
          read_string(*j, "agent_version", r.agent_version),
          parse_tunnels(*j, r.tunnels),
      });
      !read) {
    return read.error();
  }
  auto resume = j->find("resume");
  if (resume != j->end() && !resume->is_null()) {
    if (!resume->is_string()) return invalid("'resume' must be a string or null");
    r.resume = resume->get<std::string>();
  }
  return r;
}

std::string serialize(const ConnectRequest& r) {
  json j = {{"version", r.version},
            {"agent_version", r.agent_version},
            {"tunnels", tunnels_json(r.tunnels)}};
  j["resume"] = r.resume ? json(*r.resume) : json(nullptr);
  return dump(j);
}

std::optional<ErrorBody> parse_error_body(std::string_view text) {
  // Any answer that is not an error body is not one: why does not matter here.
  auto j = parse_object(text);
  if (!j) return std::nullopt;
  auto e = j->find("error");
  if (e == j->end() || !e->is_object()) return std::nullopt;
  ErrorBody body;
  if (!first_failure(
          {read_string(*e, "code", body.code), read_string(*e, "message", body.message)})) {
    return std::nullopt;
  }
  return body;
}

std::string serialize(const ErrorBody& body) {
  return dump({{"error", {{"code", body.code}, {"message", body.message}}}});
}

core::Fallible<ControlMessage> parse_control_message(std::string_view line) {
  auto j = parse_object(line);
  if (!j) return j.error();
  std::string type;
  if (auto read = read_string(*j, "type", type); !read) return read.error();
  // The message of `T` once its members are read, or the first bad member's failure.
  const auto built = [](auto message, const Checked& read) -> core::Fallible<ControlMessage> {
    if (!read) return read.error();
    return ControlMessage{std::move(message)};
  };
  if (type == "session") {
    SessionMessage m;
    auto read = first_failure({read_string(*j, "id", m.id), parse_infos(*j, m.tunnels)});
    return built(std::move(m), read);
  }
  if (type == "bind") {
    BindMessage m;
    auto read = parse_tunnels(*j, m.tunnels);
    return built(std::move(m), read);
  }
  if (type == "unbind") {
    UnbindMessage m;
    auto names = j->find("names");
    if (names == j->end() || !names->is_array()) {
      return invalid("'names' must be an array of strings");
    }
    for (const auto& n : *names) {
      if (!n.is_string()) return invalid("'names' must be an array of strings");
      m.names.push_back(n.get<std::string>());
    }
    return m;
  }
  if (type == "bound") {
    BoundMessage m;
    auto read = parse_infos(*j, m.tunnels);
    return built(std::move(m), read);
  }
  if (type == "error") {
    ErrorMessage m;
    auto read = first_failure({
        read_string(*j, "code", m.code),
        read_string(*j, "message", m.message),
        read_string(*j, "tunnel", m.tunnel),
    });
    return built(std::move(m), read);
  }
  if (type == "list_deliveries") {
    ListDeliveriesMessage m;
    auto read = first_failure({
        read_string(*j, "request", m.request),
        read_string(*j, "tunnel", m.tunnel),
        read_string(*j, "state", m.state),
        read_integer(*j, "limit", m.limit, 1, 1000),
    });
    return built(std::move(m), read);
  }
  if (type == "deliveries") {
    DeliveriesMessage m;
    auto read = first_failure({
        read_string(*j, "request", m.request),
        parse_summaries(*j, m.deliveries),
    });
    return built(std::move(m), read);
  }
  if (type == "delivery_command") {
    DeliveryCommandMessage m;
    auto read = first_failure({
        read_string(*j, "request", m.request),
        read_string(*j, "action", m.action),
        read_string(*j, "delivery_id", m.delivery_id),
        read_string(*j, "tunnel", m.tunnel),
        read_string(*j, "state", m.state),
    });
    return built(std::move(m), read);
  }
  if (type == "delivery_result") {
    DeliveryResultMessage m;
    auto read = first_failure({
        read_string(*j, "request", m.request),
        read_integer(*j, "count", m.count, 0, INT64_MAX),
        read_string(*j, "code", m.code),
        read_string(*j, "message", m.message),
    });
    return built(std::move(m), read);
  }
  return invalid(type.empty() ? "missing 'type'" : "unknown message type '" + type + "'");
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
