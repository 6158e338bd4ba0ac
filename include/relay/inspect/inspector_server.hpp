#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "relay/core/failure.hpp"

namespace relay::inspect {

class CaptureStore;
class Deliveries;
class Replayer;
class TunnelDirectory;

struct InspectorOptions {
  std::string addr = "127.0.0.1:4040";  // "HOST:PORT" or "PORT" (loopback)
  // When the port is taken, try the next ones (4041, 4042, …), as ngrok does. Port 0 binds
  // any free port (tests).
  int port_attempts = 10;
  std::size_t max_request_body = 16 * 1024 * 1024;  // replay-with-modifications bodies
  std::string version;                              // reported by /api/status
  Deliveries* deliveries = nullptr;  // the durable delivery queue; null: /api/deliveries is 404
  // GET /metrics: the agent's Prometheus text (operations); null: 404.
  std::function<std::string()> metrics;
};

// The local inspector: ngrok-compatible JSON API under /api, a server-sent-events stream of
// captures, and the web UI (compiled in). Beast HTTP/1.1 on one io thread: the store, the
// directory and the replayer are called on that thread only, so nothing here locks.
//
// Guards: a request whose Host is not a loopback name (127.0.0.1, localhost, [::1], with any
// port, or the bind address itself) gets 403 (DNS rebinding); a state-changing request with an
// Origin that is not such a host gets 403 (cross-site requests); no CORS header is ever sent.
class InspectorServer {
 public:
  InspectorServer(boost::asio::any_io_executor ex, CaptureStore& store, TunnelDirectory& tunnels,
                  Replayer& replayer, InspectorOptions options = {});
  ~InspectorServer();
  InspectorServer(const InspectorServer&) = delete;
  InspectorServer& operator=(const InspectorServer&) = delete;

  // Binds (trying the next ports when taken) and starts serving. The failure says which address
  // and what to do; a start-up error, so the caller may report it and exit.
  core::Fallible<boost::asio::ip::tcp::endpoint> start();
  // Closes the listener and every connection (SSE streams included).
  void stop();

  [[nodiscard]] boost::asio::ip::tcp::endpoint endpoint() const;
  // "http://127.0.0.1:4040" for the console and the log line.
  [[nodiscard]] std::string url() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace relay::inspect
