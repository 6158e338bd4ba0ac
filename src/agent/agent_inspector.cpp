#include "agent/agent_inspector.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "agent/agent_metrics.hpp"
#include "agent/pipeline.hpp"
#include "agent/tunnel_runtime.hpp"
#include "agent/verifier_factory.hpp"
#include "relay/agent/tunnel_name.hpp"
#include "relay/agent/upstream_address.hpp"
#include "relay/core/clock.hpp"
#include "relay/core/log.hpp"
#include "relay/core/private_files.hpp"
#include "relay/inspect/error.hpp"
#include "relay/verify/secret.hpp"

namespace relay::agent {

namespace asio = boost::asio;
using inspect::Errc;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string endpoint_text(const asio::ip::tcp::endpoint& ep) {
  auto host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

// "https://abc.relay.example.com:8443/x" → scheme and authority.
void split_base_url(std::string_view url, std::string& scheme, std::string& authority) {
  scheme = "http";
  if (auto sep = url.find("://"); sep != std::string_view::npos) {
    scheme = std::string(url.substr(0, sep));
    url.remove_prefix(sep + 3);
  }
  authority = std::string(url.substr(0, url.find('/')));
}

bool valid_local_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

}  // namespace

std::string resolve_state_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (auto dir = env("RELAY_STATE_DIR"); !dir.empty()) return dir;
  if (auto xdg = env("XDG_STATE_HOME"); !xdg.empty() && xdg.front() == '/') return xdg + "/relay";
  auto home = env("HOME");
  return (home.empty() ? std::string("/tmp") : home) + "/.local/state/relay";
}

namespace {

inspect::CaptureStoreOptions store_options(const AgentOptions& options) {
  namespace fs = std::filesystem;
  const fs::path dir = resolve_state_dir(options.state_dir);
  // Captures hold callers' credentials: the directory is 0700 whatever the umask. One relay
  // picked (~/.local/state/relay) is narrowed if an older relay made it 0755; one the user named
  // is only warned about (it may be shared on purpose; the database files are 0600 anyway).
  const bool chosen = !options.state_dir.empty() || !env("RELAY_STATE_DIR").empty();
  core::ensure_private_directory(
      dir, chosen ? core::LooseDirectory::warn : core::LooseDirectory::tighten);
  inspect::CaptureStoreOptions o;
  o.db_path = dir / "captures.db";
  o.max_body_bytes = options.capture_body_bytes;
  return o;
}

}  // namespace

AgentInspector::AgentInspector(InspectorHost& agent, const AgentMetrics& metrics,
                               asio::any_io_executor ex, const AgentOptions& options)
    : agent_(agent),
      metrics_(metrics),
      ex_(std::move(ex)),
      addr_(options.inspect_addr),
      version_(options.version),
      body_limit_(options.capture_body_bytes),
      store_(store_options(options)) {}

AgentInspector::~AgentInspector() { stop(); }

std::string AgentInspector::start() {
  server_.emplace(ex_, store_, *this, *this,
                  inspect::InspectorOptions{
                      .addr = addr_, .version = version_, .deliveries = this, .metrics = [this] {
                        return metrics_.render();
                      }});
  auto ep = server_->start();
  if (!ep) {
    server_.reset();
    throw std::runtime_error(ep.error().message);  // start-up: the command reports it and exits
  }
  core::log_event(*core::logger("relay.agent"), spdlog::level::info, "starting web service",
                  {{"obj", "web"}, {"addr", endpoint_text(*ep)}});
  return server_->url();
}

void AgentInspector::stop() {
  if (server_) server_->stop();
  store_.flush();
}

inspect::TunnelInfo AgentInspector::info(const TunnelRuntime& t) const {
  inspect::TunnelInfo i;
  i.name = t.options.name;
  i.public_url = t.public_url;
  if (auto sep = t.public_url.find("://"); sep != std::string::npos) {
    i.proto = t.public_url.substr(0, sep);
  } else {
    i.proto = t.options.proto;
  }
  i.addr = t.upstream.url();
  i.verify_provider = t.options.verify_webhook ? t.options.verify_webhook->provider : "";
  i.can_resign = t.can_resign;
  i.metrics.connections = t.requests + t.open;
  i.metrics.open = t.open;
  i.metrics.http_count = t.requests;
  return i;
}

std::vector<inspect::TunnelInfo> AgentInspector::tunnels() const {
  std::vector<inspect::TunnelInfo> out;
  for (const auto& t : agent_.runtimes()) out.push_back(info(*t));
  return out;
}

std::optional<inspect::TunnelInfo> AgentInspector::tunnel(std::string_view name) const {
  if (auto t = agent_.find_by_name(name)) return info(*t);
  return std::nullopt;
}

asio::awaitable<core::Result<inspect::TunnelInfo>> AgentInspector::add_tunnel(
    inspect::TunnelSpec spec) {
  if (agent_.find_by_name(spec.name)) co_return core::error_code(Errc::tunnel_exists);
  if (!valid_local_name(spec.name) || (spec.proto != "http" && spec.proto != "https")) {
    co_return core::error_code(Errc::invalid_tunnel);
  }
  TunnelOptions options;
  options.name = spec.name;
  options.addr = spec.addr;
  options.url = spec.url;
  {
    auto upstream = parse_upstream_address(options.addr);
    auto name = requested_tunnel_name(options.url);
    if (!upstream || !name) {
      core::log_event(*core::logger("relay.agent"), spdlog::level::warn, "tunnel not added",
                      {{"tunnel", spec.name},
                       {"error", (!upstream ? upstream.error() : name.error()).message}});
      co_return core::error_code(Errc::invalid_tunnel);
    }
  }
  if (!spec.verify_provider.empty()) {
    options.verify_webhook.emplace();
    options.verify_webhook->provider = spec.verify_provider;
    try {
      // As on the command line and in the config: env:NAME and file:PATH name the secret.
      options.verify_webhook->secret = verify::resolve_secret_or_throw(spec.verify_secret);
      (void)make_verifier(*options.verify_webhook);
    } catch (const std::exception& e) {
      core::log_event(*core::logger("relay.agent"), spdlog::level::warn, "tunnel not added",
                      {{"tunnel", spec.name}, {"error", e.what()}});
      co_return core::error_code(Errc::invalid_tunnel);
    }
  }
  auto added = co_await agent_.add_tunnel(std::move(options));
  if (!added) co_return added.error();
  auto t = agent_.find_by_name(spec.name);
  if (!t) co_return core::error_code(Errc::unavailable);
  co_return info(*t);
}

asio::awaitable<core::Result<void>> AgentInspector::remove_tunnel(std::string name) {
  if (!agent_.find_by_name(name)) co_return core::error_code(Errc::tunnel_not_found);
  if (auto ec = co_await agent_.remove_tunnel(std::move(name))) co_return ec;
  co_return core::Result<void>{};
}

inspect::AgentStatus AgentInspector::status() const {
  inspect::AgentStatus s;
  auto state = agent_.session_state();
  s.session = state == "stopped" ? "offline" : std::string(state);
  s.edge = agent_.edge_address();
  s.links = agent_.link_status();
  s.version = version_;
  return s;
}

asio::awaitable<core::Result<std::string>> AgentInspector::replay(
    const inspect::Capture& original, const inspect::ReplayModifications& mods) {
  if (agent_.stopping()) co_return core::error_code(Errc::unavailable);
  auto request = inspect::apply_modifications(original, mods);
  if (!request) co_return request.error();
  auto tunnel = agent_.find_by_name(request->tunnel);
  if (!tunnel) co_return core::error_code(Errc::tunnel_not_found);

  // Delivered as the tunnel's public URL would have been: verifiers that sign the URL see the
  // same one.
  std::string scheme;
  std::string authority;
  const bool same_tunnel = request->tunnel == original.tunnel;
  split_base_url(
      same_tunnel || tunnel->public_url.empty() ? original.public_url : tunnel->public_url, scheme,
      authority);
  core::Headers headers;
  headers.reserve(request->headers.size() + 6);
  headers.add(":method", request->method);
  headers.add(":scheme", scheme);
  headers.add(":authority", authority);
  headers.add(":path", request->url);
  for (const auto& f : request->headers) {
    if (core::iequals(f.name, "content-length") || core::iequals(f.name, "transfer-encoding") ||
        core::iequals(f.name, "host")) {
      continue;
    }
    headers.add(f.name, f.value);
  }
  const auto& m = request->method;
  if (!request->body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    headers.add("content-length", std::to_string(request->body.size()));
  }
  if (request->resign) {
    if (!tunnel->signer || !tunnel->can_resign)
      co_return core::error_code(Errc::resign_unavailable);
    const std::string url = scheme + "://" + authority + request->url;
    core::RequestView view{request->method, url, headers, request->body};
    auto signature = tunnel->signer->sign(view, core::Clock::now());
    if (!signature) co_return core::error_code(Errc::resign_unavailable);
    for (const auto& f : *signature) headers.erase(f.name);
    for (const auto& f : *signature) headers.add(f.name, f.value);
  }

  Exchange x;
  x.started = std::chrono::steady_clock::now();
  x.method = request->method;
  x.path = request->url;
  x.authority = authority;
  x.scheme = scheme;
  x.request_id = "replay";
  x.body = std::move(request->body);
  x.body_buffered = true;  // the whole body is here: the steps read it from the exchange
  x.stream.emplace(RequestStream(std::move(headers), std::string()));
  x.tunnel = tunnel;
  x.replay_of = original.id;
  co_await tunnel->pipeline->run(x);
  if (x.capture_id.empty()) co_return core::error_code(Errc::replay_failed);
  co_return x.capture_id;
}

std::string AgentInspector::public_tunnel_name(std::string name) const {
  if (name.empty()) return name;
  if (auto t = agent_.find_by_name(name); t && !t->public_name.empty()) return t->public_name;
  return name;
}

asio::awaitable<core::Result<std::vector<net::protocol::DeliverySummary>>> AgentInspector::list(
    inspect::DeliveryFilter filter) {
  net::protocol::ListDeliveriesMessage m;
  m.tunnel = public_tunnel_name(std::move(filter.tunnel));
  m.state = std::move(filter.state);
  m.limit = filter.limit;
  auto answer = co_await agent_.list_deliveries(std::move(m));
  if (!answer) co_return answer.error();
  co_return std::move(answer->deliveries);
}

asio::awaitable<core::Result<inspect::DeliveryOutcome>> AgentInspector::command(
    std::string action, std::string delivery_id, std::string tunnel, std::string state) {
  net::protocol::DeliveryCommandMessage m;
  m.action = std::move(action);
  m.delivery_id = std::move(delivery_id);
  m.tunnel = public_tunnel_name(std::move(tunnel));
  m.state = std::move(state);
  auto answer = co_await agent_.delivery_command(std::move(m));
  if (!answer) co_return answer.error();
  co_return inspect::DeliveryOutcome{answer->count, std::move(answer->code),
                                     std::move(answer->message)};
}

}  // namespace relay::agent
