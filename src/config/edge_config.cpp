#include "relay/config/edge_config.hpp"

#include <algorithm>
#include <map>

#include "address_check.hpp"
#include "relay/edge/cidr.hpp"
#include "relay/net/tunnel_protocol.hpp"
#include "relay/verify/crypto.hpp"
#include "value_reader.hpp"
#include "yaml_tree.hpp"

namespace relay::config {

using detail::join_key;
using detail::TreeNode;
using detail::ValueReader;

namespace {

template <class Duration>
void read_duration(ValueReader& reader, const TreeNode& map, std::string_view path,
                   std::string_view key, Duration& out) {
  if (const auto* node = map.find(key)) {
    if (auto value = reader.duration(*node, join_key(path, key))) {
      out = std::chrono::duration_cast<Duration>(*value);
    }
  }
}

void read_count(ValueReader& reader, const TreeNode& map, std::string_view path,
                std::string_view key, std::size_t& out, std::int64_t min) {
  if (const auto* node = map.find(key)) {
    if (auto value = reader.integer(*node, join_key(path, key), min, 1'000'000'000)) {
      out = static_cast<std::size_t>(*value);
    }
  }
}

void read_size(ValueReader& reader, const TreeNode& map, std::string_view path,
               std::string_view key, std::size_t& out) {
  if (const auto* node = map.find(key)) {
    if (auto value = reader.size(*node, join_key(path, key)))
      out = static_cast<std::size_t>(*value);
  }
}

void read_listeners(ValueReader& reader, const TreeNode& root, std::string_view key,
                    std::vector<std::string>& out) {
  const auto* node = root.find(key);
  if (node == nullptr) return;
  auto list = reader.string_list(*node, key);
  if (!list) return;
  for (const auto& address : *list) {
    if (auto problem = detail::check_host_port(address)) {
      reader.error(*node, key, *problem + ", got '" + address + "'");
    }
  }
  out = std::move(*list);
}

void read_limits(ValueReader& reader, const TreeNode& node, edge::EdgeLimits& limits) {
  constexpr std::string_view path = "limits";
  if (!reader.expect_map(node, path, "a map of limits")) return;
  reader.check_keys(node, path,
                    {"max_header_bytes", "max_body_bytes", "header_timeout", "idle_timeout",
                     "response_timeout", "max_sessions", "max_tunnels_per_session",
                     // sessions: failed authtokens per client address
                     "auth_failures_per_minute", "auth_failure_block",
                     // public-limits
                     "body_min_rate", "body_rate_grace", "max_connections_per_ip",
                     "max_requests_per_ip", "max_streams_per_session", "stream_wait",
                     "handshake_timeout", "max_pending_handshakes", "max_pending_handshakes_per_ip",
                     // durable delivery (accept)
                     "buffer_max_body"});
  read_size(reader, node, path, "max_header_bytes", limits.max_header_bytes);
  read_size(reader, node, path, "max_body_bytes", limits.max_body_bytes);
  read_duration(reader, node, path, "header_timeout", limits.header_timeout);
  read_duration(reader, node, path, "idle_timeout", limits.idle_timeout);
  read_duration(reader, node, path, "response_timeout", limits.response_timeout);
  read_count(reader, node, path, "max_sessions", limits.max_sessions, 1);
  read_count(reader, node, path, "max_tunnels_per_session", limits.max_tunnels_per_session, 1);
  // sessions: failed authtokens per client address (0: no limit)
  read_count(reader, node, path, "auth_failures_per_minute", limits.auth_failures_per_minute, 0);
  read_duration(reader, node, path, "auth_failure_block", limits.auth_failure_block);
  // public-limits (0: no cap)
  read_size(reader, node, path, "body_min_rate", limits.body_min_rate);
  read_duration(reader, node, path, "body_rate_grace", limits.body_rate_grace);
  read_count(reader, node, path, "max_connections_per_ip", limits.max_connections_per_ip, 0);
  read_count(reader, node, path, "max_requests_per_ip", limits.max_requests_per_ip, 0);
  read_count(reader, node, path, "max_streams_per_session", limits.max_streams_per_session, 0);
  read_duration(reader, node, path, "stream_wait", limits.stream_wait);
  read_duration(reader, node, path, "handshake_timeout", limits.handshake_timeout);
  read_count(reader, node, path, "max_pending_handshakes", limits.max_pending_handshakes, 0);
  read_count(reader, node, path, "max_pending_handshakes_per_ip",
             limits.max_pending_handshakes_per_ip, 0);
  // durable delivery (accept)
  read_size(reader, node, path, "buffer_max_body", limits.buffer_max_body);
}

// public-limits: trusted_proxies: [10.0.0.0/8, ...]
void read_trusted_proxies(ValueReader& reader, const TreeNode& root,
                          std::vector<std::string>& out) {
  const auto* node = root.find("trusted_proxies");
  if (node == nullptr) return;
  auto list = reader.string_list(*node, "trusted_proxies");
  if (!list) return;
  for (const auto& entry : *list) {
    if (auto block = edge::parse_cidr(entry); !block) {
      reader.error(
          *node, "trusted_proxies",
          block.error().message + ", got '" + entry + "'; use ADDRESS/PREFIX, e.g. 10.0.0.0/8");
    }
  }
  out = std::move(*list);
}

// operations: acme: acme: {email, directory, ca_file, orders_per_hour, challenge}
void read_acme(ValueReader& reader, const TreeNode& node, edge::AcmeOptions& acme) {
  constexpr std::string_view path = "acme";
  if (!reader.expect_map(node, path,
                         "a map (email, directory, ca_file, orders_per_hour, challenge)")) {
    return;
  }
  reader.check_keys(node, path, {"email", "directory", "ca_file", "orders_per_hour", "challenge"});
  if (const auto* email = node.find("email")) {
    if (auto value = reader.string(*email, "acme.email")) {
      if (value->find('@') == std::string::npos) {
        reader.error(*email, "acme.email", "expected an email address, got '" + *value + "'");
      } else {
        acme.email = *value;
      }
    }
  }
  if (const auto* directory = node.find("directory")) {
    if (auto value = reader.string(*directory, "acme.directory")) {
      if (value->rfind("https://", 0) != 0) {
        reader.error(*directory, "acme.directory",
                     "expected the CA's https:// directory URL, got '" + *value + "'");
      } else {
        acme.directory = *value;
      }
    }
  }
  if (const auto* ca = node.find("ca_file")) {
    if (auto value = reader.string(*ca, "acme.ca_file")) acme.ca_file = *value;
  }
  read_count(reader, node, path, "orders_per_hour", acme.orders_per_hour, 0);
  if (const auto* challenge = node.find("challenge")) {
    if (auto value = reader.string(*challenge, "acme.challenge")) {
      if (*value != "http-01" && *value != "tls-alpn-01") {
        reader.error(*challenge, "acme.challenge",
                     "expected http-01 or tls-alpn-01, got '" + *value + "'");
      } else {
        acme.challenge = *value;
      }
    }
  }
}

// cluster: redis: cluster: {redis, edge_id, secret}, as written (the CLI checks and resolves
// them with the flags, which override them).
void read_cluster(ValueReader& reader, const TreeNode& node, edge::ClusterOptions& cluster) {
  constexpr std::string_view path = "cluster";
  if (!reader.expect_map(node, path,
                         "a map (redis, edge_id, secret, peer_listen, peer_advertise)")) {
    return;
  }
  reader.check_keys(node, path, {"redis", "edge_id", "secret", "peer_listen", "peer_advertise"});
  if (const auto* redis = node.find("redis")) {
    if (auto value = reader.string(*redis, "cluster.redis")) {
      if (!value->starts_with("redis://") && !value->starts_with("rediss://")) {
        reader.error(*redis, "cluster.redis",
                     "expected redis://HOST:PORT/DB, got '" + *value + "'");
      } else {
        cluster.redis_url = *value;
      }
    }
  }
  if (const auto* id = node.find("edge_id")) {
    if (auto value = reader.string(*id, "cluster.edge_id")) cluster.edge_id = *value;
  }
  // cluster: peer link (checked with the flags by the CLI)
  if (const auto* listen = node.find("peer_listen")) {
    if (auto value = reader.string(*listen, "cluster.peer_listen")) cluster.peer_listen = *value;
  }
  if (const auto* advertise = node.find("peer_advertise")) {
    if (auto value = reader.string(*advertise, "cluster.peer_advertise")) {
      cluster.peer_advertise = *value;
    }
  }
  if (const auto* secret = node.find("secret")) {
    if (auto value = reader.string(*secret, "cluster.secret")) {
      if (!value->starts_with("env:") && !value->starts_with("file:")) {
        reader.error(*secret, "cluster.secret",
                     "expected env:NAME or file:PATH (the secret itself stays out of the file)");
      } else {
        cluster.secret = *value;
      }
    }
  }
}

void read_authtokens(ValueReader& reader, const TreeNode& node, Diagnostics& diagnostics,
                     std::vector<edge::AuthToken>& out) {
  if (node.yaml.IsNull()) return;
  if (!node.yaml.IsSequence()) {
    reader.error(node, "authtokens",
                 "expected a list of tokens (- label: …, sha256: …), got " +
                     detail::describe(node.yaml) + "; add tokens with `relay edge token add`");
    return;
  }
  std::map<std::string, int> labels;         // label → line
  std::map<std::string, std::string> names;  // reserved name → label
  std::size_t index = 0;
  for (const auto& item : node.yaml) {
    const std::string path = "authtokens[" + std::to_string(index++) + "]";
    const TreeNode entry = detail::make_tree(item, node.source, path, diagnostics);
    if (!reader.expect_map(entry, path, "a map with label and sha256")) continue;
    reader.check_keys(entry, path, {"label", "sha256", "reserved"});
    edge::AuthToken token;
    bool ok = true;
    if (const auto* label = entry.find("label")) {
      if (auto value = reader.string(*label, join_key(path, "label"))) {
        token.label = *value;
        if (auto [first, inserted] = labels.emplace(*value, label->at().line); !inserted) {
          reader.error(*label, join_key(path, "label"),
                       "duplicate label '" + *value + "' (first at line " +
                           std::to_string(first->second) + "); labels name tokens for revoke");
        }
      }
    }
    if (const auto* hash = entry.find("sha256")) {
      if (auto value = reader.string(*hash, join_key(path, "sha256"))) {
        if (verify::is_sha256_hex(*value)) {
          token.sha256_hex = *value;
        } else {
          reader.error(*hash, join_key(path, "sha256"),
                       "expected the token's SHA-256 as 64 lower-case hex digits (never the token "
                       "itself); `relay edge token add` writes it");
          ok = false;
        }
      }
    } else {
      reader.error(entry, path, "missing 'sha256': the token's SHA-256 in hex");
      ok = false;
    }
    if (const auto* reserved = entry.find("reserved")) {
      const auto key = join_key(path, "reserved");
      if (auto list = reader.string_list(*reserved, key)) {
        for (const auto& name : *list) {
          if (!net::protocol::is_valid_tunnel_name(name)) {
            reader.error(*reserved, key,
                         "'" + name + "' is not a tunnel name (lower-case letters, digits, '-')");
          } else if (auto [holder, inserted] = names.emplace(name, token.label); !inserted) {
            reader.error(*reserved, key,
                         "the name '" + name + "' is already reserved by token '" + holder->second +
                             "'; a name belongs to one token");
          }
        }
        token.reserved_names = std::move(*list);
      }
    }
    if (ok) {
      if (token.label.empty()) token.label = "tok-" + token.sha256_hex.substr(0, 8);
      out.push_back(std::move(token));
    }
  }
}

void read_root(ValueReader& reader, const TreeNode& root, Diagnostics& diagnostics,
               EdgeConfigLoad& load) {
  auto& options = load.options;
  reader.check_keys(root, "",
                    {"version", "listen", "listen_tls", "agent_listen", "domain", "public_port",
                     "tls_cert", "tls_key", "authtokens", "resume_grace", "ping_interval", "limits",
                     "log", "log_level", "log_format", "trusted_proxies",
                     // state (hardening item 3)
                     "state_dir",
                     // durable delivery: store
                     "store_max_size",
                     // operations: acme
                     "acme",
                     // operations: metrics
                     "metrics_listen",
                     // cluster: redis
                     "cluster"});
  if (const auto* version = root.find("version")) {
    if (auto value = reader.string(*version, "version"); value && *value != "1") {
      reader.error(*version, "version", "expected \"1\", got '" + *value + "'");
    }
  }
  read_listeners(reader, root, "listen", options.listen);
  read_listeners(reader, root, "listen_tls", options.listen_tls);
  if (const auto* node = root.find("agent_listen")) {
    if (auto value = reader.string(*node, "agent_listen")) {
      if (auto problem = detail::check_host_port(*value)) {
        reader.error(*node, "agent_listen", *problem + ", got '" + *value + "'");
      } else {
        options.agent_listen = *value;
      }
    }
  }
  if (const auto* node = root.find("metrics_listen")) {  // operations: Prometheus /metrics
    if (auto value = reader.string(*node, "metrics_listen")) {
      if (auto problem = detail::check_host_port(*value)) {
        reader.error(*node, "metrics_listen", *problem + ", got '" + *value + "'");
      } else {
        options.metrics_listen = *value;
      }
    }
  }
  if (const auto* node = root.find("domain")) {
    if (auto value = reader.string(*node, "domain")) {
      if (value->empty() || value->front() == '.' || value->find("://") != std::string::npos ||
          value->find('*') != std::string::npos) {
        reader.error(*node, "domain",
                     "expected a bare domain such as relay.example.com (tunnels become "
                     "<name>.relay.example.com), got '" +
                         *value + "'");
      } else {
        options.domain = *value;
      }
    }
  }
  if (const auto* node = root.find("public_port")) {
    if (auto value = reader.integer(*node, "public_port", 0, 65535)) {
      options.public_port = static_cast<unsigned short>(*value);
    }
  }
  const TreeNode* cert = root.find("tls_cert");
  const TreeNode* key = root.find("tls_key");
  if (cert) {
    if (auto value = reader.string(*cert, "tls_cert")) options.tls_cert_file = *value;
  }
  if (key) {
    if (auto value = reader.string(*key, "tls_key")) options.tls_key_file = *value;
  }
  if ((cert == nullptr) != (key == nullptr)) {
    const TreeNode& present = cert ? *cert : *key;
    reader.error(
        present, cert ? "tls_cert" : "tls_key",
        std::string{"tls_cert and tls_key go together; add "} + (cert ? "tls_key" : "tls_cert"));
  }
  // (ACME, too, needs tls_cert: the agent port's certificate and the fallback of listen_tls.)
  if (!options.listen_tls.empty() && cert == nullptr && key == nullptr) {
    reader.error(*root.find("listen_tls"), "listen_tls",
                 "HTTPS listeners need a certificate; add tls_cert and tls_key (a wildcard "
                 "certificate for *.<domain>)");
  }
  if (const auto* node = root.find("authtokens")) {
    read_authtokens(reader, *node, diagnostics, options.authtokens);
  }
  read_duration(reader, root, "", "resume_grace", options.resume_grace);
  read_duration(reader, root, "", "ping_interval", options.ping_interval);
  if (const auto* node = root.find("limits")) read_limits(reader, *node, options.limits);
  // state (hardening item 3): where name ownership is kept (edge.db)
  if (const auto* node = root.find("state_dir")) {
    if (auto value = reader.string(*node, "state_dir")) {
      if (value->empty()) {
        reader.error(*node, "state_dir", "expected a directory path, got an empty string");
      } else {
        options.state_dir = *value;
      }
    }
  }
  // durable delivery: store
  if (const auto* node = root.find("store_max_size")) {
    if (auto value = reader.size(*node, "store_max_size")) options.store_max_bytes = *value;
  }
  read_trusted_proxies(reader, root, options.trusted_proxies);  // public-limits
  if (const auto* node = root.find("acme")) read_acme(reader, *node, options.acme);  // acme
  if (const auto* node = root.find("cluster")) read_cluster(reader, *node, options.cluster);
  for (auto [key_name, out] : {std::pair<std::string_view, std::string*>{"log", &load.log},
                               {"log_level", &load.log_level},
                               {"log_format", &load.log_format}}) {
    if (const auto* node = root.find(key_name)) {
      if (auto value = reader.string(*node, key_name)) *out = *value;
    }
  }
}

}  // namespace

EdgeConfigLoad parse_edge_config(const std::vector<std::shared_ptr<const ConfigSource>>& sources) {
  EdgeConfigLoad load;
  if (auto merged = detail::parse_merged(sources, load.diagnostics)) {
    ValueReader reader{load.diagnostics};
    read_root(reader, *merged, load.diagnostics, load);
  }
  detail::sort_by_sources(load.diagnostics, sources);
  return load;
}

EdgeConfigLoad load_edge_config(const std::vector<std::string>& paths) {
  Diagnostics read_problems;
  auto sources = read_sources(paths, read_problems);
  auto load = parse_edge_config(sources);
  read_problems.append(load.diagnostics);
  load.diagnostics = std::move(read_problems);
  return load;
}

}  // namespace relay::config
