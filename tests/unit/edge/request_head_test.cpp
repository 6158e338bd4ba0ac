#include "edge/request_head.hpp"

#include <gtest/gtest.h>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

namespace relay::edge {
namespace {

namespace http = boost::beast::http;

struct Parsed {
  http::request_header<> header;
  const http::request_header<>& get() const { return header; }
};

Parsed parse(std::string_view text) {
  http::request_parser<http::empty_body> p;
  p.eager(false);
  boost::system::error_code ec;
  p.put(boost::asio::buffer(text.data(), text.size()), ec);
  EXPECT_TRUE(p.is_header_done()) << ec.message();
  return {p.get().base()};
}

TEST(RequestHead, PseudoHeadersFirstThenLowerCaseFields) {
  auto p = parse(
      "POST /hook?x=1 HTTP/1.1\r\nHost: abc.localhost:8080\r\nContent-Type: application/json\r\n"
      "Content-Length: 2\r\nX-Signature: s\r\n\r\n");
  auto h = make_stream_headers(p.get(), {"https", "abc", "rid", "127.0.0.1:5555"});
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& f : h) got.emplace_back(f.name, f.value);
  ASSERT_GE(got.size(), 4u);
  EXPECT_EQ(got[0], (std::pair<std::string, std::string>{":method", "POST"}));
  EXPECT_EQ(got[1], (std::pair<std::string, std::string>{":scheme", "https"}));
  EXPECT_EQ(got[2], (std::pair<std::string, std::string>{":authority", "abc.localhost:8080"}));
  EXPECT_EQ(got[3], (std::pair<std::string, std::string>{":path", "/hook?x=1"}));
  EXPECT_EQ(h.get("content-type"), "application/json");
  EXPECT_EQ(h.get("content-length"), "2");
  EXPECT_EQ(h.get("x-signature"), "s");
  EXPECT_EQ(h.get("relay-tunnel"), "abc");
  EXPECT_EQ(h.get("relay-request-id"), "rid");
  EXPECT_EQ(h.get("relay-remote-addr"), "127.0.0.1:5555");
  EXPECT_FALSE(h.contains("host"));
  for (const auto& f : h) {
    for (char c : f.name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << f.name;
  }
}

TEST(RequestHead, DropsHopByHopExpectAndSpoofedRelayFields) {
  auto p = parse(
      "POST / HTTP/1.1\r\nHost: a.localhost\r\nConnection: keep-alive, X-Private\r\nKeep-Alive: "
      "5\r\n"
      "X-Private: 1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
      "TE: trailers\r\nUpgrade: h2c\r\nRelay-Tunnel: evil\r\nRelay-Remote-Addr: 1.2.3.4:1\r\n\r\n");
  auto h = make_stream_headers(p.get(), {"http", "a", "r", "10.0.0.1:1"});
  for (auto name : {"connection", "keep-alive", "x-private", "transfer-encoding", "content-length",
                    "expect", "te", "upgrade"}) {
    EXPECT_FALSE(h.contains(name)) << name;
  }
  EXPECT_EQ(h.get_all("relay-tunnel").size(), 1u);
  EXPECT_EQ(h.get("relay-tunnel"), "a");
  EXPECT_EQ(h.get("relay-remote-addr"), "10.0.0.1:1");
}

// Names Beast knows (http::field) take a table, the others a lower-casing: both in any case.
TEST(RequestHead, KnownAndUnknownNamesInAnyCaseAreLoweredOrDropped) {
  auto p = parse(
      "GET / HTTP/1.1\r\nhOsT: a.localhost\r\nCONTENT-TYPE: text/plain\r\nProxy-Authorization: "
      "x\r\nFORWARDED: for=1\r\nx-ReAl-Ip: 1.2.3.4\r\nRelay-Request-ID: forged\r\n"
      "X-Custom-Thing: v\r\nuser-AGENT: t\r\n\r\n");
  auto h = make_stream_headers(p.get(), {"http", "a", "r", "10.0.0.1:1"});
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& f : h) got.emplace_back(f.name, f.value);
  const std::vector<std::pair<std::string, std::string>> want = {
      {":method", "GET"},
      {":scheme", "http"},
      {":authority", "a.localhost"},
      {":path", "/"},
      {"content-type", "text/plain"},
      {"x-custom-thing", "v"},
      {"user-agent", "t"},
      {"relay-tunnel", "a"},
      {"relay-request-id", "r"},
      {"relay-remote-addr", "10.0.0.1:1"}};
  EXPECT_EQ(got, want);
}

TEST(RequestHead, DropsTheCallersClientAddressFields) {
  auto p = parse(
      "GET / HTTP/1.1\r\nHost: a.localhost\r\nX-Forwarded-For: 1.2.3.4\r\nX-Real-IP: 1.2.3.4\r\n"
      "Forwarded: for=1.2.3.4\r\nX-Kept: yes\r\n\r\n");
  auto h = make_stream_headers(p.get(), {"http", "a", "r", "10.0.0.1:1"});
  for (auto name : {"x-forwarded-for", "x-real-ip", "forwarded"}) {
    EXPECT_FALSE(h.contains(name)) << name;
  }
  EXPECT_EQ(h.get("x-kept"), "yes");
  EXPECT_EQ(h.get("relay-remote-addr"), "10.0.0.1:1");
}

// durable delivery: the agent trusts these on a queued delivery; a caller must not set them.
TEST(RequestHead, DropsTheCallersDeliveryFields) {
  auto p = parse(
      "POST / HTTP/1.1\r\nHost: a.localhost\r\nRelay-Delivery-Id: forged\r\n"
      "Relay-Received-At: 2000-01-01T00:00:00.000Z\r\nRELAY-DELIVERY-ATTEMPT: 9\r\n"
      "Relay-Delivery-Other: kept\r\n\r\n");
  auto h = make_stream_headers(p.get(), {"http", "a", "r", "10.0.0.1:1"});
  for (auto name : {"relay-delivery-id", "relay-received-at", "relay-delivery-attempt"}) {
    EXPECT_FALSE(h.contains(name)) << name;
  }
  EXPECT_EQ(h.get("relay-delivery-other"), "kept");
}

// cluster: peer link. Only a forwarding edge sets the hop marker; a public client's is dropped.
TEST(RequestHead, DropsTheCallersPeerHopMarker) {
  auto p = parse("GET / HTTP/1.1\r\nHost: a.localhost\r\nRelay-Peer-Hop: edge-b\r\n\r\n");
  auto h = make_stream_headers(p.get(), {"http", "a", "r", "10.0.0.1:1"});
  EXPECT_FALSE(h.contains("relay-peer-hop"));
}

TEST(RequestHead, AbsoluteFormTargetBecomesAPath) {
  EXPECT_EQ(origin_form("http://a.localhost/x/y?z"), "/x/y?z");
  EXPECT_EQ(origin_form("https://a.localhost"), "/");
  EXPECT_EQ(origin_form("/plain"), "/plain");
}

TEST(RequestHead, TargetsThatCannotBeForwarded) {
  EXPECT_FALSE(
      request_target_error(parse("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n").get()).empty());
  EXPECT_TRUE(request_target_error(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").get()).empty());
  EXPECT_TRUE(request_target_error(parse("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").get()).empty());
}

// check_request_head as the edge calls it: with the framing Beast's parser chose.
HeadRejection check(std::string_view text) {
  http::request_parser<http::empty_body> p;
  p.eager(false);
  boost::system::error_code ec;
  p.put(boost::asio::buffer(text.data(), text.size()), ec);
  if (!p.is_header_done()) return {-1, ec.message()};  // Beast refused it itself
  return check_request_head(p.get().base(), p.chunked(), p.content_length());
}

TEST(RequestHead, AcceptsOrdinaryFraming) {
  EXPECT_EQ(check("GET / HTTP/1.1\r\nHost: a\r\n\r\n").status, 0);
  EXPECT_EQ(check("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n").status, 0);
  EXPECT_EQ(check("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n").status, 0);
  EXPECT_EQ(check("GET / HTTP/1.0\r\n\r\n").status, 0);
}

TEST(RequestHead, RefusesSmugglingFraming) {
  // Beast reads these as "no body": the body would become a second request.
  EXPECT_EQ(check("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n").status,
            400);
  EXPECT_EQ(check("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n").status, 400);
  EXPECT_EQ(check("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").status,
            501);
  EXPECT_EQ(check("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n").status, 400);
  // Beast itself refuses some orders of TE + CL; the others are refused here.
  auto both =
      check("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(both.status, 400) << both.message;
  EXPECT_NE(check("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: "
                  "5\r\n\r\n")
                .status,
            0);
}

TEST(RequestHead, RepeatedContentLength) {
  EXPECT_EQ(check("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n").status, 0);
  EXPECT_EQ(
      check("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n").status,
      0);
  EXPECT_NE(check("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n").status, 0);
  // Forwarded as one number, which HTTP/2 requires.
  auto p = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
  auto h = make_stream_headers(p.get(), {"http", "a", "r", "10.0.0.1:1"});
  EXPECT_EQ(h.get_all("content-length").size(), 1u);
  EXPECT_EQ(h.get("content-length"), "5");
  auto list = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 , 5\r\n\r\n");
  EXPECT_EQ(make_stream_headers(list.get(), {"http", "a", "r", "1:1"}).get("content-length"), "5");
}

TEST(RequestHead, HostRules) {
  EXPECT_EQ(check("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n").status, 400);
  EXPECT_EQ(check("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status, 400);
  EXPECT_EQ(check("GET / HTTP/1.1\r\nHost: a b\r\n\r\n").status, 400);
  EXPECT_EQ(check("GET / HTTP/1.1\r\nHost: a,b\r\n\r\n").status, 400);
  EXPECT_EQ(check("GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n").status, 400);
  EXPECT_EQ(check("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n").status, 400);
  EXPECT_EQ(check("GET http://a.localhost:8080/x HTTP/1.1\r\nHost: b\r\n\r\n").status, 0);
}

TEST(RequestHead, AbsoluteFormAuthorityWinsOverHost) {
  auto p = parse("GET http://real.localhost:8080/x?y HTTP/1.1\r\nHost: other.localhost\r\n\r\n");
  EXPECT_EQ(request_authority(p.get()), "real.localhost:8080");
  auto h = make_stream_headers(p.get(), {"http", "a", "r", "1:1"});
  EXPECT_EQ(h.get(":authority"), "real.localhost:8080");
  EXPECT_EQ(h.get(":path"), "/x?y");
  EXPECT_EQ(request_authority(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").get()), "h");
}

// keeps_alive and the walks behind request_authority answer as Beast's own lookups do,
// repeated fields included (the first one counts).
TEST(RequestHead, FieldWalksAgreeWithBeastsLookups) {
  for (std::string_view text : {
           "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, CLOSE\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\nConnection:\r\nConnection: close\r\n\r\n",
           "GET / HTTP/1.1\r\nConnection: x\r\nHost: h\r\nconnection: close\r\n\r\n",
           "GET / HTTP/1.0\r\nHost: h\r\n\r\n",
           "GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
           "GET / HTTP/1.0\r\nHost: h\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
           "GET / HTTP/1.1\r\nX: 1\r\nHOST: first\r\nY: 2\r\nhost: second\r\n\r\n",
       }) {
    auto p = parse(text);
    const auto& request = p.get();
    const http::request<http::empty_body> message{http::request_header<>(request)};
    EXPECT_EQ(keeps_alive(request), message.keep_alive()) << text;
    EXPECT_EQ(request_authority(request), request[boost::beast::http::field::host]) << text;
  }
}

}  // namespace
}  // namespace relay::edge
