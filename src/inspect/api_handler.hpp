#pragma once

#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "inspect/api_types.hpp"
#include "relay/inspect/capture_store.hpp"
#include "relay/inspect/deliveries.hpp"
#include "relay/inspect/replayer.hpp"
#include "relay/inspect/tunnel_directory.hpp"

namespace relay::inspect::detail {

// The inspector's routes: the ngrok-compatible API, relay's extras and the UI's files. Called on
// the io thread that owns the store, the directory and the replayer. Never throws for bad input:
// every problem becomes a 4xx JSON error.
class ApiHandler {
 public:
  ApiHandler(CaptureStore& store, TunnelDirectory& tunnels, Replayer& replayer,
             std::string bind_host, std::string version, Deliveries* deliveries = nullptr,
             std::function<std::string()> metrics = {})
      : store_(store),
        tunnels_(tunnels),
        replayer_(replayer),
        deliveries_(deliveries),
        bind_host_(std::move(bind_host)),
        version_(std::move(version)),
        metrics_(std::move(metrics)) {}

  // The web address for /api/status, known once bound.
  void set_web_addr(std::string addr) { web_addr_ = std::move(addr); }
  // The address the server is bound to: also allowed as a Host when it is not a wildcard.
  void set_bind_host(std::string host) { bind_host_ = std::move(host); }
  // The port it is served on: a state-changing request's Origin must name it.
  void set_port(unsigned short port) { port_ = port; }

  boost::asio::awaitable<ApiResponse> handle(ApiRequest request);

 private:
  boost::asio::awaitable<ApiResponse> route(const ApiRequest& request, const Target& target);
  ApiResponse asset(std::string_view path) const;
  ApiResponse status() const;

  // api_tunnels.cpp
  ApiResponse list_tunnels() const;
  ApiResponse get_tunnel(std::string_view name) const;
  boost::asio::awaitable<ApiResponse> add_tunnel(const ApiRequest& request);
  boost::asio::awaitable<ApiResponse> remove_tunnel(std::string name);

  // api_requests.cpp
  ApiResponse list_requests(const Target& target) const;
  ApiResponse get_request(std::string_view id) const;
  boost::asio::awaitable<ApiResponse> replay(const ApiRequest& request, std::string id,
                                             bool ngrok_style);

  // api_deliveries.cpp (durable delivery: the edge's queue of this agent's tunnels)
  boost::asio::awaitable<ApiResponse> deliveries(const ApiRequest& request, const Target& target);

  CaptureStore& store_;
  TunnelDirectory& tunnels_;
  Replayer& replayer_;
  Deliveries* deliveries_;  // null: no queue API
  std::string bind_host_;
  std::string version_;
  std::string web_addr_;
  std::function<std::string()> metrics_;
  unsigned short port_ = 0;  // 0 until bound
};

nlohmann::json tunnel_json(const TunnelInfo& tunnel);

}  // namespace relay::inspect::detail
