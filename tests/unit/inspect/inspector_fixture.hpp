#pragma once

// A real inspector on 127.0.0.1:0 with real implementations of the agent-side interfaces: an
// in-memory tunnel directory and a replayer that "delivers" into a list (standing in for the
// app) and captures the replay like the agent does. The io_context runs on its own thread, as
// in the agent; the test talks to it over HTTP only, or through on_io().

#include <future>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "relay/inspect/capture_store.hpp"
#include "relay/inspect/deliveries.hpp"
#include "relay/inspect/error.hpp"
#include "relay/inspect/inspector_server.hpp"
#include "relay/inspect/replayer.hpp"
#include "relay/inspect/tunnel_directory.hpp"

namespace relay::inspect::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

class MemoryTunnels final : public TunnelDirectory {
 public:
  std::vector<TunnelInfo> tunnels() const override {
    std::vector<TunnelInfo> out;
    for (const auto& [name, t] : tunnels_) out.push_back(t);
    return out;
  }
  std::optional<TunnelInfo> tunnel(std::string_view name) const override {
    const auto it = tunnels_.find(std::string{name});
    if (it == tunnels_.end()) return std::nullopt;
    return it->second;
  }
  asio::awaitable<core::Result<TunnelInfo>> add_tunnel(TunnelSpec spec) override {
    if (spec.addr == "refused") co_return Errc::unavailable;
    TunnelInfo t{.name = spec.name,
                 .public_url = "http://" + spec.name + ".localhost:8080",
                 .proto = "http",
                 .addr = "http://localhost:" + spec.addr,
                 .verify_provider = spec.verify_provider,
                 .can_resign = !spec.verify_secret.empty()};
    tunnels_[t.name] = t;
    co_return t;
  }
  asio::awaitable<core::Result<void>> remove_tunnel(std::string name) override {
    if (tunnels_.erase(name) == 0) co_return Errc::tunnel_not_found;
    co_return core::Result<void>{};
  }
  void put(TunnelInfo t) { tunnels_[t.name] = std::move(t); }

 private:
  std::map<std::string, TunnelInfo> tunnels_;
};

class DeliveringReplayer final : public Replayer {
 public:
  explicit DeliveringReplayer(CaptureStore& store) : store_(store) {}
  asio::awaitable<core::Result<std::string>> replay(const Capture& original,
                                                    const ReplayModifications& mods) override {
    auto request = apply_modifications(original, mods);
    if (!request) co_return request.error();
    delivered.push_back(*request);
    Capture c;
    c.id = store_.make_id();
    c.tunnel = request->tunnel;
    c.start = core::Clock::now();
    c.method = request->method;
    c.url = request->url;
    c.request_headers = request->headers;
    c.request_body.assign(request->body, 1 << 20);
    c.status = 200;
    c.response_body.assign("replayed", 1 << 20);
    c.replay = true;
    c.replay_of = original.id;
    store_.upsert(std::move(c));
    co_return store_.list(1).front()->id;
  }
  std::vector<ReplayRequest> delivered;

 private:
  CaptureStore& store_;
};

// The edge's queue as the agent would relay it: a list and the commands' answers the test sets;
// `transport` set: every call fails with it (no session, timeout).
class FakeDeliveries final : public Deliveries {
 public:
  asio::awaitable<core::Result<std::vector<net::protocol::DeliverySummary>>> list(
      DeliveryFilter filter) override {
    last_filter = filter;
    if (transport) co_return transport;
    co_return items;
  }
  asio::awaitable<core::Result<DeliveryOutcome>> command(std::string action,
                                                         std::string delivery_id,
                                                         std::string tunnel,
                                                         std::string state) override {
    commands.push_back(action + " " + delivery_id + " " + tunnel + " " + state);
    if (transport) co_return transport;
    co_return outcome;
  }
  std::vector<net::protocol::DeliverySummary> items;
  DeliveryOutcome outcome{1, "", ""};
  core::error_code transport;
  DeliveryFilter last_filter;
  std::vector<std::string> commands;
};

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

class InspectorTest : public ::testing::Test {
 protected:
  // Runs `f` on the io thread and waits for its result.
  template <class F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }

  void SetUp() override {
    tunnels.put({.name = "web",
                 .public_url = "http://web.localhost:8080",
                 .addr = "http://localhost:3000"});
    tunnels.put({.name = "tiktok",
                 .public_url = "http://tiktok.localhost:8080",
                 .addr = "http://localhost:3001",
                 .verify_provider = "tiktok",
                 .can_resign = true});
    server = std::make_unique<InspectorServer>(
        io.get_executor(), store, tunnels, replayer,
        InspectorOptions{.addr = "127.0.0.1:0", .deliveries = &deliveries});
    auto ep = server->start();
    ASSERT_TRUE(ep) << ep.error().message;
    port = ep->port();
    work.emplace(io.get_executor());
    thread = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    if (thread.joinable()) {
      on_io([this] { server->stop(); });
      work.reset();
      thread.join();
    }
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port); }

  Reply call(std::string_view method, std::string_view target, std::string body = {},
             std::vector<std::pair<std::string, std::string>> headers = {},
             std::optional<std::string> host_header = std::nullopt) {
    asio::io_context client_io;
    beast::tcp_stream stream{client_io};
    stream.expires_after(std::chrono::seconds{10});
    stream.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port});
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host_header.value_or(host()));
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    Reply reply{static_cast<int>(res.result_int()), {}, res.body()};
    for (const auto& f : res)
      reply.headers[core::to_lower(f.name_string())] = std::string{f.value()};
    return reply;
  }

  Capture sample(std::string id, std::string tunnel = "web") {
    Capture c;
    c.id = std::move(id);
    c.tunnel = std::move(tunnel);
    c.start = core::Clock::now();
    c.duration = std::chrono::microseconds{2500};
    c.remote_addr = "203.0.113.7";
    c.public_url = "http://web.localhost:8080";
    c.method = "POST";
    c.url = "/hooks/tiktok?x=1";
    c.request_headers.add("content-type", "application/json");
    c.request_headers.add("tiktok-signature", "t=1,s=abc");
    c.request_body.assign(R"({"event":"video.publish"})", 1 << 20);
    c.status = 200;
    c.response_headers.add("content-type", "text/plain");
    c.response_body.assign("ok", 1 << 20);
    return c;
  }
  void add(Capture c) {
    on_io([&] { store.upsert(std::move(c)); });
  }

  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  CaptureStore store;
  MemoryTunnels tunnels;
  DeliveringReplayer replayer{store};
  FakeDeliveries deliveries;
  std::unique_ptr<InspectorServer> server;
  unsigned short port = 0;
  std::thread thread;
};

}  // namespace relay::inspect::testing
