#include "inspector_fixture.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "relay/verify/crypto.hpp"

namespace relay::inspect::testing {
namespace {

using nlohmann::json;

TEST_F(InspectorTest, ListsTunnelsInNgrokShape) {
  const auto r = call("GET", "/api/tunnels");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  const auto j = r.json();
  EXPECT_EQ(j["uri"], "/api/tunnels");
  ASSERT_EQ(j["tunnels"].size(), 2u);
  const auto& t = j["tunnels"][1];
  EXPECT_EQ(t["name"], "web");
  EXPECT_EQ(t["public_url"], "http://web.localhost:8080");
  EXPECT_EQ(t["config"]["addr"], "http://localhost:3000");
  EXPECT_EQ(t["config"]["inspect"], true);
  EXPECT_TRUE(t["metrics"]["conns"].contains("count"));

  EXPECT_EQ(call("GET", "/api/tunnels/tiktok").json()["relay"]["verify_provider"], "tiktok");
  const auto missing = call("GET", "/api/tunnels/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["status_code"], 404);
  EXPECT_FALSE(missing.json()["msg"].get<std::string>().empty());
}

TEST_F(InspectorTest, StartsAndStopsTunnels) {
  const auto created = call("POST", "/api/tunnels", R"({"name":"api","proto":"http","addr":4000})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json()["public_url"], "http://api.localhost:8080");
  EXPECT_EQ(created.json()["config"]["addr"], "http://localhost:4000");
  EXPECT_EQ(call("GET", "/api/tunnels/api").status, 200);

  EXPECT_EQ(call("POST", "/api/tunnels", R"({"name":"api","addr":"4000"})").status, 409);
  EXPECT_EQ(call("POST", "/api/tunnels", R"({"name":"x"})").status, 400);
  EXPECT_EQ(call("POST", "/api/tunnels", R"({"name":"x","addr":"1","proto":"tcp"})").status, 400);
  EXPECT_EQ(call("POST", "/api/tunnels", "{not json").status, 400);
  EXPECT_EQ(call("POST", "/api/tunnels", R"({"name":5,"addr":"1"})").status, 400);
  // The agent's own refusal comes back with its message.
  const auto refused = call("POST", "/api/tunnels", R"({"name":"x","addr":"refused"})");
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.json()["msg"].get<std::string>().find("not ready"), std::string::npos);

  EXPECT_EQ(call("DELETE", "/api/tunnels/api").status, 204);
  EXPECT_EQ(call("DELETE", "/api/tunnels/api").status, 404);
  EXPECT_EQ(call("GET", "/api/tunnels/api").status, 404);
}

TEST_F(InspectorTest, ListsAndShowsRequestsInNgrokShape) {
  add(sample("a"));
  add(sample("b", "tiktok"));
  auto pending = sample("c");
  pending.status = 0;
  add(pending);

  const auto r = call("GET", "/api/requests/http");
  ASSERT_EQ(r.status, 200);
  const auto j = r.json();
  EXPECT_EQ(j["uri"], "/api/requests/http");
  ASSERT_EQ(j["requests"].size(), 3u);
  EXPECT_EQ(j["requests"][0]["id"], "c");
  EXPECT_TRUE(j["requests"][0]["response"].is_null());

  const auto a = call("GET", "/api/requests/http/a").json();
  EXPECT_EQ(a["uri"], "/api/requests/http/a");
  EXPECT_EQ(a["tunnel_name"], "web");
  EXPECT_EQ(a["remote_addr"], "203.0.113.7");
  EXPECT_EQ(a["duration"], 2'500'000);  // ns, as ngrok
  EXPECT_EQ(a["request"]["method"], "POST");
  EXPECT_EQ(a["request"]["uri"], "/hooks/tiktok?x=1");
  EXPECT_EQ(a["request"]["headers"]["Tiktok-Signature"][0], "t=1,s=abc");
  const auto raw = verify::base64_decode(a["request"]["raw"].get<std::string>());
  ASSERT_TRUE(raw);
  EXPECT_TRUE(raw->starts_with("POST /hooks/tiktok?x=1 HTTP/1.1\r\n")) << *raw;
  EXPECT_TRUE(raw->ends_with("\r\n\r\n{\"event\":\"video.publish\"}")) << *raw;
  EXPECT_EQ(a["response"]["status"], "200 OK");
  EXPECT_EQ(a["response"]["status_code"], 200);
  EXPECT_EQ(verify::base64_decode(a["response"]["body"].get<std::string>()), "ok");

  EXPECT_EQ(call("GET", "/api/requests/http?limit=1").json()["requests"].size(), 1u);
  const auto by_tunnel = call("GET", "/api/requests/http?tunnel_name=tiktok").json();
  ASSERT_EQ(by_tunnel["requests"].size(), 1u);
  EXPECT_EQ(by_tunnel["requests"][0]["id"], "b");
  EXPECT_EQ(call("GET", "/api/requests/http?limit=abc").status, 400);
  EXPECT_EQ(call("GET", "/api/requests/http/nope").status, 404);
}

TEST_F(InspectorTest, ClearsRequests) {
  add(sample("a"));
  EXPECT_EQ(call("DELETE", "/api/requests/http").status, 204);
  EXPECT_TRUE(call("GET", "/api/requests/http").json()["requests"].empty());
}

TEST_F(InspectorTest, ReplaysTheNgrokWay) {
  add(sample("a"));
  const auto r = call("POST", "/api/requests/http", R"({"id":"a","tunnel_name":"web"})");
  EXPECT_EQ(r.status, 204) << r.body;
  const auto delivered = on_io([this] { return replayer.delivered; });
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].body, R"({"event":"video.publish"})");
  EXPECT_EQ(delivered[0].url, "/hooks/tiktok?x=1");
  const auto list = call("GET", "/api/requests/http").json()["requests"];
  EXPECT_EQ(list[0]["relay"]["replay"], true);
  EXPECT_EQ(list[0]["relay"]["replay_of"], "a");

  EXPECT_EQ(call("POST", "/api/requests/http", "{oops").status, 400);
  EXPECT_EQ(call("POST", "/api/requests/http", "{}").status, 400);
  EXPECT_EQ(call("POST", "/api/requests/http", R"({"id":"nope"})").status, 404);
  EXPECT_EQ(call("POST", "/api/requests/http", R"({"id":"a","tunnel_name":"nope"})").status, 404);
}

TEST_F(InspectorTest, ReplaysWithModifications) {
  add(sample("a"));
  const auto r = call("POST", "/api/requests/http/a/replay",
                      R"({"method":"PUT","path":"/other","set_headers":{"X-Test":"1"},)"
                      R"("remove_headers":["tiktok-signature"],"body":"{\"edited\":true}"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["relay"]["replay_of"], "a");
  EXPECT_EQ(r.json()["request"]["method"], "PUT");
  const auto delivered = on_io([this] { return replayer.delivered; });
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].method, "PUT");
  EXPECT_EQ(delivered[0].url, "/other");
  EXPECT_EQ(delivered[0].body, R"({"edited":true})");
  EXPECT_EQ(delivered[0].headers.get("x-test"), "1");
  EXPECT_FALSE(delivered[0].headers.contains("tiktok-signature"));

  EXPECT_EQ(call("POST", "/api/requests/http/a/replay", R"({"headers":"x"})").status, 400);
  EXPECT_EQ(call("POST", "/api/requests/http/a/replay", R"({"body_base64":"!!"})").status, 400);
  EXPECT_EQ(call("GET", "/api/requests/http/a/replay").status, 405);
}

TEST_F(InspectorTest, RefusesReplaysItCannotDoFaithfully) {
  auto big = sample("big");
  big.request_body = {};
  big.request_body.append(std::string(100, 'x'), 10);
  add(big);
  const auto truncated = call("POST", "/api/requests/http", R"({"id":"big"})");
  EXPECT_EQ(truncated.status, 409);
  EXPECT_NE(truncated.json()["msg"].get<std::string>().find("truncated"), std::string::npos);
  // Supplying the body makes it replayable.
  EXPECT_EQ(call("POST", "/api/requests/http/big/replay", R"({"body":"x"})").status, 200);

  add(sample("a"));  // tunnel "web" has no secret
  const auto resign = call("POST", "/api/requests/http/a/replay", R"({"resign":true})");
  EXPECT_EQ(resign.status, 422);
  EXPECT_EQ(call("POST", "/api/requests/http/a/replay", R"({"resign":true,"tunnel_name":"tiktok"})")
                .status,
            200);

  auto pending = sample("p");
  pending.status = 0;
  add(pending);
  EXPECT_EQ(call("POST", "/api/requests/http", R"({"id":"p"})").status, 409);
}

TEST_F(InspectorTest, RefusesForeignHostsAndOrigins) {
  const auto evil = call("GET", "/api/tunnels", {}, {}, "evil.example:4040");
  EXPECT_EQ(evil.status, 403);
  EXPECT_NE(evil.json()["msg"].get<std::string>().find("loopback"), std::string::npos);
  EXPECT_EQ(call("GET", "/", {}, {}, "attacker.localhost.evil.example").status, 403);
  EXPECT_EQ(call("GET", "/api/tunnels", {}, {}, "localhost:4040").status, 200);
  EXPECT_EQ(call("GET", "/api/tunnels", {}, {}, "[::1]:4040").status, 200);
  EXPECT_EQ(call("GET", "/api/tunnels", {}, {}, "127.0.0.1").status, 200);

  add(sample("a"));
  const auto cross = call("DELETE", "/api/requests/http", {}, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(call("GET", "/api/requests/http").json()["requests"].size(), 1u);
  const auto other_port =
      call("DELETE", "/api/requests/http", {}, {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(other_port.status, 403);
  EXPECT_EQ(call("DELETE", "/api/requests/http", {}, {{"Origin", "null"}}).status, 403);
  EXPECT_EQ(call("GET", "/api/requests/http").json()["requests"].size(), 1u);
  EXPECT_EQ(call("DELETE", "/api/requests/http", {}, {{"Origin", "http://" + host()}}).status, 204);

  const auto r = call("GET", "/api/tunnels", {}, {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(r.headers.contains("access-control-allow-origin"));
}

TEST_F(InspectorTest, ServesTheEmbeddedUi) {
  const auto page = call("GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("relay inspector"), std::string::npos);
  EXPECT_EQ(call("GET", "/inspect/http").status, 200);
  const auto js = call("GET", "/assets/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.headers.at("content-type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("EventSource"), std::string::npos);
  EXPECT_EQ(call("GET", "/assets/style.css").status, 200);
  EXPECT_EQ(call("GET", "/assets/nope.js").status, 404);
  EXPECT_EQ(call("GET", "/api/nope").status, 404);
  EXPECT_EQ(call("GET", "/api/status").json()["tunnels"], 2);
}

TEST_F(InspectorTest, StreamsNewRequestsAsServerSentEvents) {
  asio::io_context client_io;
  tcp::socket socket{client_io};
  socket.connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port});
  timeval timeout{10, 0};  // a broken stream fails the test instead of hanging it
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const std::string req = "GET /api/requests/http/stream HTTP/1.1\r\nHost: " + host() + "\r\n\r\n";
  asio::write(socket, asio::buffer(req));
  std::string in;
  asio::read_until(socket, asio::dynamic_buffer(in), "\r\n\r\n");
  EXPECT_TRUE(in.starts_with("HTTP/1.1 200 OK\r\n")) << in;
  EXPECT_NE(in.find("Content-Type: text/event-stream"), std::string::npos) << in;

  add(sample("live-1"));
  asio::read_until(socket, asio::dynamic_buffer(in), "\"id\":\"live-1\"");
  EXPECT_NE(in.find("event: request\ndata: {"), std::string::npos);

  on_io([this] { store.clear(); });
  asio::read_until(socket, asio::dynamic_buffer(in), "event: clear\n");
}

TEST_F(InspectorTest, BadRequestsNeverCrashTheServer) {
  EXPECT_EQ(call("PATCH", "/api/requests/http").status, 405);
  EXPECT_EQ(call("POST", "/api/requests/http/a/replay", "[1,2]").status, 400);
  EXPECT_EQ(call("POST", "/api/requests/http/a/replay", R"({"method":7})").status, 400);
  EXPECT_EQ(call("GET", "/api/requests/http/%zz").status, 404);
  EXPECT_EQ(call("GET", "/api/tunnels").status, 200);
}

}  // namespace
}  // namespace relay::inspect::testing
