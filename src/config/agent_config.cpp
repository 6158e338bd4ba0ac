#include "relay/config/agent_config.hpp"

#include "address_check.hpp"
#include "buffer_keys.hpp"
#include "relay/config/upstream_timeout.hpp"
#include "relay/edge/cidr.hpp"
#include "relay/net/tunnel_protocol.hpp"
#include "value_reader.hpp"
#include "yaml_tree.hpp"

namespace relay::config {

using detail::join_key;
using detail::TreeNode;
using detail::ValueReader;

const TunnelConfig* AgentConfig::find(std::string_view name) const {
  for (const auto& tunnel : tunnels) {
    if (tunnel.name == name) return &tunnel;
  }
  return nullptr;
}

namespace {

bool is_inline_secret(std::string_view spec) {
  return !spec.empty() && !spec.starts_with("env:") && !spec.starts_with("file:");
}

void warn_if_readable(ValueReader& reader, const TreeNode& node, std::string_view path,
                      std::string_view what) {
  if (node.source && node.source->world_readable && node.yaml.IsScalar() &&
      is_inline_secret(node.yaml.Scalar())) {
    reader.warning(node, path,
                   std::string{what} +
                       " is written inline in a file every user can read; run "
                       "`chmod 600 " +
                       node.source->name + "` or use env:NAME / file:PATH");
  }
}

void read_verify_webhook(ValueReader& reader, const TreeNode& node, const std::string& path,
                         const ProviderCheck& providers, TunnelConfig& tunnel) {
  if (!reader.expect_map(node, path, "a map with provider and secret")) return;
  reader.check_keys(node, path, {"provider", "secret", "tolerance", "enforce", "params"});
  VerifyWebhookConfig verify;
  bool complete = true;
  if (const auto* provider = node.find("provider")) {
    const auto key = join_key(path, "provider");
    if (auto value = reader.string(*provider, key)) {
      verify.provider = *value;
      verify.params_at = provider->at();
      if (providers) {
        if (auto problem = providers(*value)) reader.error(*provider, key, *problem);
      }
    }
  } else {
    reader.error(node, path, "missing 'provider': name the webhook sender (see `relay providers`)");
    complete = false;
  }
  if (const auto* secret = node.find("secret")) {
    const auto key = join_key(path, "secret");
    if (auto value = reader.string(*secret, key)) {
      verify.secret = *value;
      verify.secret_at = secret->at();
      warn_if_readable(reader, *secret, key, "the signing secret");
    }
  } else {
    reader.error(node, path,
                 "missing 'secret': give the signing secret as env:NAME, file:PATH or the value");
    complete = false;
  }
  if (const auto* tolerance = node.find("tolerance")) {
    if (auto value = reader.duration(*tolerance, join_key(path, "tolerance"))) {
      verify.tolerance = std::chrono::duration_cast<std::chrono::seconds>(*value);
    }
  }
  if (const auto* enforce = node.find("enforce")) {
    if (auto value = reader.boolean(*enforce, join_key(path, "enforce"))) verify.enforce = *value;
  }
  if (const auto* params = node.find("params")) {
    const auto key = join_key(path, "params");
    if (reader.expect_map(*params, key, "a map of provider settings (e.g. header: X-Signature)")) {
      verify.params_at = params->at();
      for (const auto& entry : params->entries) {
        if (auto value = reader.string(entry.value, join_key(key, entry.key))) {
          verify.params[entry.key] = std::move(*value);
        }
      }
    }
  }
  if (complete) tunnel.verify_webhook = std::move(verify);
}

void read_basic_auth(ValueReader& reader, const TreeNode& node, const std::string& path,
                     TunnelConfig& tunnel) {
  auto list = reader.string_list(node, path);
  if (!list) return;
  if (list->size() != 1) {
    reader.error(node, path,
                 "expected one user:password entry (relay checks one user per tunnel), got " +
                     std::to_string(list->size()));
    return;
  }
  const auto colon = list->front().find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == list->front().size()) {
    reader.error(node, path, "expected user:password, e.g. \"admin:s3cret\"");
    return;
  }
  tunnel.basic_auth =
      agent::BasicAuth{list->front().substr(0, colon), list->front().substr(colon + 1)};
  warn_if_readable(reader, node, path, "the basic_auth password");
}

void read_request_header(ValueReader& reader, const TreeNode& node, const std::string& path,
                         TunnelConfig& tunnel) {
  if (!reader.expect_map(node, path, "a map with add and/or remove")) return;
  reader.check_keys(node, path, {"add", "remove"});
  if (const auto* add = node.find("add")) {
    const auto key = join_key(path, "add");
    if (auto list = reader.string_list(*add, key)) {
      for (const auto& line : *list) {
        const auto colon = line.find(':');
        if (colon == std::string::npos || colon == 0) {
          reader.error(*add, key, "expected \"Name: value\" entries, got '" + line + "'");
          continue;
        }
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        tunnel.request_header_add.emplace_back(line.substr(0, colon), std::move(value));
      }
    }
  }
  if (const auto* remove = node.find("remove")) {
    if (auto list = reader.string_list(*remove, join_key(path, "remove"))) {
      tunnel.request_header_remove = std::move(*list);
    }
  }
}

// ip_allow / ip_deny: a CIDR block or address, or a list of them; a bad entry is an error at
// its line, naming it.
void read_ip_rules(ValueReader& reader, const TreeNode& tunnel_node, const std::string& path,
                   std::string_view key, std::vector<std::string>& out) {
  const auto* node = tunnel_node.find(key);
  if (node == nullptr) return;
  auto list = reader.string_list(*node, path);
  if (!list) return;
  for (const auto& entry : *list) {
    if (auto block = edge::parse_cidr(entry); !block) {
      reader.error(
          *node, path,
          "'" + entry + "': " + block.error().message +
              "; use ADDRESS/PREFIX, e.g. 203.0.113.0/24 or 2001:db8::/32, or one address");
      continue;
    }
    out.push_back(entry);
  }
}

TunnelConfig read_tunnel(ValueReader& reader, const TreeNode::Entry& entry, const std::string& path,
                         const ProviderCheck& providers) {
  TunnelConfig tunnel;
  tunnel.name = entry.key;
  tunnel.at = entry.key_at;
  const TreeNode& node = entry.value;
  if (!net::protocol::is_valid_tunnel_name(entry.key)) {
    reader.error(node, path,
                 "the tunnel name '" + entry.key +
                     "' must be lower-case letters, digits and '-' (it can become the public "
                     "name); rename it");
  }
  if (!reader.expect_map(node, path, "a map with at least addr (e.g. addr: 3000)")) return tunnel;
  reader.check_keys(
      node, path,
      {"proto", "addr", "url", "host_header", "verify_webhook", "basic_auth", "request_header",
       // durable delivery (docs/delivery.md)
       "buffer", "buffer_ttl", "buffer_max", "buffer_status", "buffer_concurrency",
       "buffer_ordered", "buffer_resign", "buffer_dedupe_window",
       // IP rules (enforced at the edge)
       "ip_allow", "ip_deny"});
  if (const auto* proto = node.find("proto")) {
    if (auto value = reader.string(*proto, join_key(path, "proto"))) {
      if (*value != "http") {
        reader.error(*proto, join_key(path, "proto"),
                     "expected http (the only protocol relay tunnels), got '" + *value + "'");
      }
    }
  }
  if (const auto* addr = node.find("addr")) {
    const auto key = join_key(path, "addr");
    if (auto value = reader.string(*addr, key)) {
      tunnel.addr = *value;
      if (auto problem = detail::check_upstream_address(*value)) {
        reader.error(*addr, key, *problem + ", got '" + *value + "'");
      }
    }
  } else {
    reader.error(node, path, "missing 'addr': where to forward, e.g. addr: 3000");
  }
  if (const auto* url = node.find("url")) {
    const auto key = join_key(path, "url");
    if (auto value = reader.string(*url, key)) {
      tunnel.url = *value;
      if (auto problem = detail::check_tunnel_url(*value)) reader.error(*url, key, *problem);
    }
  }
  if (const auto* host_header = node.find("host_header")) {
    if (auto value = reader.string(*host_header, join_key(path, "host_header"))) {
      tunnel.host_header = *value;
    }
  }
  if (const auto* verify = node.find("verify_webhook")) {
    read_verify_webhook(reader, *verify, join_key(path, "verify_webhook"), providers, tunnel);
  }
  if (const auto* auth = node.find("basic_auth")) {
    read_basic_auth(reader, *auth, join_key(path, "basic_auth"), tunnel);
  }
  if (const auto* headers = node.find("request_header")) {
    read_request_header(reader, *headers, join_key(path, "request_header"), tunnel);
  }
  detail::read_buffer_keys(reader, node, path, tunnel);
  read_ip_rules(reader, node, join_key(path, "ip_allow"), "ip_allow", tunnel.ip_allow);
  read_ip_rules(reader, node, join_key(path, "ip_deny"), "ip_deny", tunnel.ip_deny);
  return tunnel;
}

void read_optional_string(ValueReader& reader, const TreeNode& root, std::string_view key,
                          std::string& out) {
  if (const auto* node = root.find(key)) {
    if (auto value = reader.string(*node, key)) out = *value;
  }
}

// High availability: `edges: [a:4443, b:4443]` instead of `edge:`, and `ha_connections: N`.
void read_edges(ValueReader& reader, const TreeNode& root, AgentConfig& config) {
  if (const auto* edges = root.find("edges")) {
    if (root.find("edge") != nullptr) {
      reader.error(*edges, "edges",
                   "give either edge: (one edge) or edges: (a list), not both; move the edge: "
                   "address into the edges: list");
    } else if (auto list = reader.string_list(*edges, "edges")) {
      for (std::size_t i = 0; i < list->size(); ++i) {
        if (auto problem = detail::check_host_port((*list)[i])) {
          reader.error(*edges, "edges[" + std::to_string(i) + "]",
                       *problem + ", got '" + (*list)[i] + "'");
        }
      }
      config.edges = std::move(*list);
    }
  }
  if (const auto* count = root.find("ha_connections")) {
    if (auto value = reader.integer(*count, "ha_connections", 1, 8)) {
      config.ha_connections = static_cast<int>(*value);
    }
  }
}

void read_root(ValueReader& reader, const TreeNode& root, const ProviderCheck& providers,
               AgentConfig& config) {
  reader.check_keys(root, "",
                    {"version", "authtoken", "edge", "edges", "ha_connections", "edge_ca",
                     "edge_insecure", "inspect_addr", "web_addr", "log", "log_level", "log_format",
                     "state_dir", "upstream_timeout", "tunnels"});
  if (const auto* version = root.find("version")) {
    if (auto value = reader.string(*version, "version"); value && *value != "2") {
      reader.error(*version, "version",
                   "expected \"2\" (the format relay reads, as in ngrok's agent config v2), got '" +
                       *value + "'");
    }
  }
  if (const auto* token = root.find("authtoken")) {
    if (auto value = reader.string(*token, "authtoken")) config.authtoken = *value;
    config.authtoken_at = token->at();
    warn_if_readable(reader, *token, "authtoken", "the authtoken");
  }
  if (const auto* edge = root.find("edge")) {
    if (auto value = reader.string(*edge, "edge")) {
      config.edge = *value;
      if (auto problem = detail::check_host_port(*value)) {
        reader.error(*edge, "edge", *problem + ", got '" + *value + "'");
      }
    }
  }
  read_edges(reader, root, config);
  if (const auto* timeout = root.find("upstream_timeout")) {
    if (auto text = reader.string(*timeout, "upstream_timeout")) {
      config.upstream_timeout = parse_upstream_timeout(*text);
      if (!config.upstream_timeout) {
        reader.error(*timeout, "upstream_timeout",
                     std::string(kUpstreamTimeoutExpected) + ", got '" + *text + "'");
      }
    }
  }
  read_optional_string(reader, root, "edge_ca", config.edge_ca);
  if (const auto* insecure = root.find("edge_insecure")) {
    config.edge_insecure = reader.boolean(*insecure, "edge_insecure");
  }
  // ngrok calls it web_addr; both are accepted so an ngrok config needs fewer edits.
  for (std::string_view key : {"web_addr", "inspect_addr"}) {
    const auto* node = root.find(key);
    if (node == nullptr) continue;
    if (!node->yaml.IsScalar()) {
      reader.error(*node, key, "expected host:port or false, got " + detail::describe(node->yaml));
      continue;
    }
    const std::string& value = node->yaml.Scalar();
    if (value == "false" || value == "off" || value == "no") {
      config.inspect_addr = "";
    } else if (auto problem = detail::check_host_port(value)) {
      reader.error(*node, key, *problem + " or false, got '" + value + "'");
    } else {
      config.inspect_addr = value;
    }
  }
  read_optional_string(reader, root, "log", config.log);
  if (const auto* level = root.find("log_level")) {
    if (auto value = reader.string(*level, "log_level")) {
      static constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                                     "error", "critical", "off"};
      if (std::find(std::begin(kLevels), std::end(kLevels), *value) == std::end(kLevels)) {
        reader.error(*level, "log_level",
                     "expected trace, debug, info, warn, error or off, got '" + *value + "'");
      } else {
        config.log_level = *value;
      }
    }
  }
  if (const auto* format = root.find("log_format")) {
    if (auto value = reader.string(*format, "log_format")) {
      if (*value != "term" && *value != "logfmt" && *value != "json") {
        reader.error(*format, "log_format", "expected term, logfmt or json, got '" + *value + "'");
      } else {
        config.log_format = *value;
      }
    }
  }
  read_optional_string(reader, root, "state_dir", config.state_dir);
  if (const auto* tunnels = root.find("tunnels")) {
    if (tunnels->yaml.IsNull()) return;
    if (!reader.expect_map(*tunnels, "tunnels", "a map of tunnel name → settings")) return;
    for (const auto& entry : tunnels->entries) {
      config.tunnels.push_back(
          read_tunnel(reader, entry, join_key("tunnels", entry.key), providers));
    }
  }
}

}  // namespace

AgentConfigLoad parse_agent_config(const std::vector<std::shared_ptr<const ConfigSource>>& sources,
                                   const ProviderCheck& providers) {
  AgentConfigLoad load;
  for (const auto& source : sources) load.config.files.push_back(source->name);
  if (auto merged = detail::parse_merged(sources, load.diagnostics)) {
    ValueReader reader{load.diagnostics};
    read_root(reader, *merged, providers, load.config);
  }
  detail::sort_by_sources(load.diagnostics, sources);
  return load;
}

AgentConfigLoad load_agent_config(const std::vector<std::string>& paths,
                                  const ProviderCheck& providers) {
  Diagnostics read_problems;
  auto sources = read_sources(paths, read_problems);
  auto load = parse_agent_config(sources, providers);
  read_problems.append(load.diagnostics);
  load.diagnostics = std::move(read_problems);
  load.config.files = paths;
  return load;
}

}  // namespace relay::config
