#include "agent/header_mapping.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "relay/agent/upstream_address.hpp"

namespace relay::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

core::Headers request(std::initializer_list<core::Headers::Field> extra) {
  core::Headers h{{":method", "POST"},
                  {":path", "/hook?x=1"},
                  {":authority", "abc.localhost:8080"},
                  {":scheme", "https"}};
  for (const auto& f : extra) h.add(f.name, f.value);
  return h;
}

UpstreamAddress local3000() { return {false, "localhost", 3000}; }

TEST(HeaderMapping, RequestLineHostAndForwardedFields) {
  auto up = local3000();
  auto head = map_request(request({{"content-type", "application/json"},
                                   {"content-length", "12"},
                                   {"relay-remote-addr", "203.0.113.9"}}),
                          {.upstream = &up, .body_follows = true});
  EXPECT_THAT(head.text, StartsWith("POST /hook?x=1 HTTP/1.1\r\nHost: abc.localhost:8080\r\n"));
  EXPECT_THAT(head.text, HasSubstr("content-type: application/json\r\n"));
  EXPECT_THAT(head.text, HasSubstr("X-Forwarded-For: 203.0.113.9\r\n"));
  EXPECT_THAT(head.text, HasSubstr("X-Forwarded-Proto: https\r\n"));
  EXPECT_THAT(head.text, HasSubstr("X-Forwarded-Host: abc.localhost:8080\r\n"));
  EXPECT_EQ(head.framing, BodyFraming::content_length);
  EXPECT_THAT(head.text, Not(HasSubstr("chunked")));
  EXPECT_THAT(head.text, HasSubstr("\r\n\r\n"));
  EXPECT_EQ(head.text.substr(head.text.size() - 4), "\r\n\r\n");
}

// Fields nghttp2 delivered (lower-case token names, values without line breaks) map the same
// without map_request's own checks; the checks stay for a replay's or re-signed fields.
TEST(HeaderMapping, ValidatedFieldsMapAsCheckedOnes) {
  auto up = local3000();
  const auto fields = request({{"content-type", "application/json"},
                               {"content-length", "12"},
                               {"connection", "x-hop"},
                               {"x-hop", "1"},
                               {"cookie", "a=1"},
                               {"cookie", "b=2"},
                               {"relay-remote-addr", "203.0.113.9"}});
  RequestMappingOptions checked{.upstream = &up, .body_follows = true};
  auto validated = checked;
  validated.fields_validated = true;
  EXPECT_EQ(map_request(fields, validated).text, map_request(fields, checked).text);

  const auto replayed = request({{"X-Split", "a\r\nx-injected: 1"}});
  EXPECT_THAT(map_request(replayed, checked).text, Not(HasSubstr("x-injected")));
}

TEST(HeaderMapping, HopByHopAndRelayFieldsAreDropped) {
  auto up = local3000();
  auto head = map_request(request({{"connection", "keep-alive, x-secret-hop"},
                                   {"keep-alive", "timeout=5"},
                                   {"transfer-encoding", "chunked"},
                                   {"upgrade", "websocket"},
                                   {"te", "trailers"},
                                   {"x-secret-hop", "1"},
                                   {"expect", "100-continue"},
                                   {"relay-tunnel", "abc"},
                                   {"relay-remote-addr", "198.51.100.1"},
                                   {"relay-request-id", "req-42"},
                                   {"x-kept", "yes"}}),
                          {.upstream = &up, .body_follows = true});
  for (const char* gone : {"connection:", "keep-alive:", "upgrade:", "te:", "x-secret-hop:",
                           "expect:", "relay-tunnel:", "relay-remote-addr:"}) {
    EXPECT_THAT(head.text, Not(HasSubstr(std::string("\r\n") + gone))) << gone;
  }
  EXPECT_THAT(head.text, HasSubstr("relay-request-id: req-42\r\n"));
  EXPECT_THAT(head.text, HasSubstr("x-kept: yes\r\n"));
  // No length known and a body follows: chunked, added by relay itself.
  EXPECT_EQ(head.framing, BodyFraming::chunked);
  EXPECT_THAT(head.text, HasSubstr("Transfer-Encoding: chunked\r\n"));
}

// The edge decides the client address (relay-remote-addr): a caller's own client-address
// fields are dropped, not appended to (they would let it claim any address).
TEST(HeaderMapping, ClientAddressFieldsComeFromTheEdgeOnly) {
  auto up = local3000();
  auto head = map_request(request({{"x-forwarded-for", "10.0.0.1"},
                                   {"x-real-ip", "10.0.0.2"},
                                   {"forwarded", "for=10.0.0.3"},
                                   {"x-forwarded-proto", "gopher"},
                                   {"relay-remote-addr", "203.0.113.9"}}),
                          {.upstream = &up});
  EXPECT_THAT(head.text, HasSubstr("X-Forwarded-For: 203.0.113.9\r\n"));
  EXPECT_THAT(head.text, HasSubstr("X-Real-IP: 203.0.113.9\r\n"));
  EXPECT_THAT(head.text,
              HasSubstr("Forwarded: for=203.0.113.9;host=\"abc.localhost:8080\";proto=https\r\n"));
  for (const char* spoofed : {"10.0.0.1", "10.0.0.2", "10.0.0.3", "gopher"}) {
    EXPECT_THAT(head.text, Not(HasSubstr(spoofed))) << spoofed;
  }
}

TEST(HeaderMapping, ForwardedQuotesAnIpv6Client) {
  auto up = local3000();
  auto head =
      map_request(request({{"relay-remote-addr", "[2001:db8::1]:5123"}}), {.upstream = &up});
  EXPECT_THAT(head.text, HasSubstr("X-Real-IP: 2001:db8::1\r\n"));
  EXPECT_THAT(head.text, HasSubstr("Forwarded: for=\"[2001:db8::1]\";"));
}

TEST(HeaderMapping, ForwardedForHasNoPort) {
  auto up = local3000();
  auto v4 = map_request(request({{"relay-remote-addr", "203.0.113.9:5123"}}), {.upstream = &up});
  EXPECT_THAT(v4.text, HasSubstr("X-Forwarded-For: 203.0.113.9\r\n"));
  auto v6 = map_request(request({{"relay-remote-addr", "[2001:db8::1]:5123"}}), {.upstream = &up});
  EXPECT_THAT(v6.text, HasSubstr("X-Forwarded-For: 2001:db8::1\r\n"));
}

TEST(HeaderMapping, HostHeaderKeepRewriteOrLiteral) {
  auto up = local3000();
  auto keep = map_request(request({}), {.upstream = &up});
  EXPECT_THAT(keep.text, HasSubstr("\r\nHost: abc.localhost:8080\r\n"));
  auto rewrite = map_request(request({}), {.upstream = &up, .host_header = "rewrite"});
  EXPECT_THAT(rewrite.text, HasSubstr("\r\nHost: localhost:3000\r\n"));
  EXPECT_THAT(rewrite.text, HasSubstr("X-Forwarded-Host: abc.localhost:8080\r\n"));
  auto literal = map_request(request({}), {.upstream = &up, .host_header = "app.test"});
  EXPECT_THAT(literal.text, HasSubstr("\r\nHost: app.test\r\n"));
}

TEST(HeaderMapping, BodilessPostGetsALengthAndGetDoesNot) {
  auto up = local3000();
  auto post = map_request(request({}), {.upstream = &up, .body_follows = false});
  EXPECT_EQ(post.framing, BodyFraming::none);
  EXPECT_THAT(post.text, HasSubstr("Content-Length: 0\r\n"));
  core::Headers get{
      {":method", "GET"}, {":path", "/"}, {":authority", "a.localhost"}, {":scheme", "http"}};
  auto g = map_request(get, {.upstream = &up});
  EXPECT_THAT(g.text, Not(HasSubstr("Content-Length")));
  EXPECT_EQ(g.method, "GET");
}

TEST(HeaderMapping, SplitCookiesAreJoinedAndInjectionIsRefused) {
  auto up = local3000();
  auto head =
      map_request(request({{"cookie", "a=1"}, {"cookie", "b=2"}, {"x-evil", "1\r\nX-Injected: 1"}}),
                  {.upstream = &up});
  EXPECT_THAT(head.text, HasSubstr("Cookie: a=1; b=2\r\n"));
  EXPECT_THAT(head.text, Not(HasSubstr("X-Injected")));
}

// The line-break scan reads 8 bytes at a time: a CR or LF at any place in a value of any length
// drops the field; another byte below 0x0e (a tab) does not.
TEST(HeaderMapping, ALineBreakAnywhereInAValueDropsTheField) {
  auto up = local3000();
  for (std::size_t length = 1; length <= 40; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (const char c : {'\r', '\n', '\t'}) {
        std::string value(length, 'v');
        value[at] = c;
        auto head = map_request(request({{"x-probe", value}}), {.upstream = &up});
        EXPECT_EQ(head.text.find("x-probe: ") != std::string::npos, c == '\t')
            << "length " << length << ", at " << at << ", byte " << int{c};
      }
    }
  }
}

TEST(HeaderMapping, TunnelHeaderAddAndRemove) {
  auto up = local3000();
  std::vector<std::pair<std::string, std::string>> add{{"X-Env", "dev"}};
  std::vector<std::string> remove{"User-Agent"};
  auto head = map_request(request({{"user-agent", "curl"}}),
                          {.upstream = &up, .add = &add, .remove = &remove});
  EXPECT_THAT(head.text, HasSubstr("X-Env: dev\r\n"));
  EXPECT_THAT(head.text, Not(HasSubstr("curl")));
}

// Names are lowered 8 bytes at a time: every letter of a name of any length, at any place, and
// nothing else ('@', '[', '`', '{' sit next to the letters). A request's name in upper case is
// kept as it came, and its field is still judged by the lowered name.
TEST(HeaderMapping, NamesOfAnyLengthAreLoweredLetterByLetter) {
  auto up = local3000();
  for (std::size_t length = 1; length <= 40; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      std::string name(length, 'x');
      for (std::size_t i = 0; i < length; ++i) name[i] = "x@[`{-"[i % 6];
      name[at] = 'Q';
      std::string lower = name;
      lower[at] = 'q';
      auto out = map_response_headers(core::Headers{{name, "v"}});
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out.begin()->name, lower) << name;
      auto head = map_request(request({{name, "v"}}), {.upstream = &up});
      EXPECT_THAT(head.text, HasSubstr("\r\n" + name + ": v\r\n")) << name;
    }
  }
  auto head = map_request(request({{"X-FORWARDED-FOR-LONGER", "kept"}, {"X-FORWARDED-FOR", "x"}}),
                          {.upstream = &up});
  EXPECT_THAT(head.text, HasSubstr("X-FORWARDED-FOR-LONGER: kept\r\n"));
  EXPECT_THAT(head.text, Not(HasSubstr("X-FORWARDED-FOR: x")));
}

TEST(HeaderMapping, ResponseDropsHopByHopAndRelayErrorCode) {
  core::Headers up{{"Content-Type", "text/plain"},
                   {"Connection", "close, X-Hop"},
                   {"X-Hop", "1"},
                   {"Transfer-Encoding", "chunked"},
                   {"Keep-Alive", "timeout=5"},
                   {"Relay-Error-Code", "RELAY_FAKE"},
                   {"Set-Cookie", "a=1"},
                   {"Set-Cookie", "b=2"}};
  auto out = map_response_headers(up);
  EXPECT_EQ(out.get("content-type"), "text/plain");
  EXPECT_FALSE(out.contains("connection"));
  EXPECT_FALSE(out.contains("x-hop"));
  EXPECT_FALSE(out.contains("transfer-encoding"));
  EXPECT_FALSE(out.contains("keep-alive"));
  EXPECT_FALSE(out.contains("relay-error-code"));
  EXPECT_EQ(out.get_all("set-cookie").size(), 2u);
  for (const auto& f : out) EXPECT_EQ(f.name, core::to_lower(f.name));  // HTTP/2: lower case
}

// Every item of every Connection field names a hop-by-hop field, however many there are.
TEST(HeaderMapping, ResponseDropsEveryFieldConnectionLists) {
  core::Headers up{{"Connection", "x-a, x-b,x-c"},
                   {"Connection", " X-D ,, x-e, x-f"},
                   {"X-A", "1"},
                   {"x-c", "1"},
                   {"x-d", "1"},
                   {"x-e", "1"},
                   {"X-F", "1"},
                   {"x-g", "1"}};
  auto out = map_response_headers(up);
  for (const auto* name : {"x-a", "x-b", "x-c", "x-d", "x-e", "x-f"}) {
    EXPECT_FALSE(out.contains(name)) << name;
  }
  EXPECT_EQ(out.get("x-g"), "1");
}

TEST(HeaderMapping, ResponseRepeatedContentLengthBecomesOne) {
  // Beast accepts "5, 5" and two identical fields; HTTP/2 takes one number (else the edge resets
  // the stream and the caller got a 502).
  for (const auto& up :
       {core::Headers{{"Content-Length", "5"}, {"Content-Length", "5"}},
        core::Headers{{"Content-Length", "5, 5"}}, core::Headers{{"Content-Length", "5 ,5"}}}) {
    auto out = map_response_headers(up);
    EXPECT_EQ(out.get_all("content-length").size(), 1u);
    EXPECT_EQ(out.get("content-length"), "5");
  }
}

TEST(HeaderMapping, DeliveryFieldsReachTheApp) {
  auto up = local3000();
  auto head = map_request(request({{"relay-tunnel", "abc"},
                                   {"relay-request-id", "r1"},
                                   {"relay-delivery-id", "d-42"},
                                   {"relay-received-at", "2026-12-06T10:15:30.123Z"},
                                   {"relay-delivery-attempt", "3"},
                                   {"relay-remote-addr", "203.0.113.9"}}),
                          {.upstream = &up});
  EXPECT_THAT(head.text, HasSubstr("relay-delivery-id: d-42\r\n"));
  EXPECT_THAT(head.text, HasSubstr("relay-received-at: 2026-12-06T10:15:30.123Z\r\n"));
  EXPECT_THAT(head.text, HasSubstr("relay-delivery-attempt: 3\r\n"));
  EXPECT_THAT(head.text, HasSubstr("relay-request-id: r1\r\n"));
  EXPECT_THAT(head.text, Not(HasSubstr("relay-tunnel")));
  EXPECT_THAT(head.text, Not(HasSubstr("relay-remote-addr")));
}

// The whole head, byte for byte, for requests that exercise every rule at once: the mapping is
// written for speed (one pass, tables), and this pins that it says exactly what it always said.
TEST(HeaderMapping, ExactHeadOfAReplayedRequestWithEveryKindOfField) {
  auto up = local3000();
  std::vector<std::pair<std::string, std::string>> add{{"X-Env", "dev"}, {"X-Bad", "a\nb"}};
  std::vector<std::string> remove{"User-Agent", "X-Removed"};
  core::Headers in{{":method", "PUT"},
                   {":path", "/a/b?c=d"},
                   {":scheme", "https"},
                   {"Host", "public.example:443"},
                   {"Connection", "X-Hop-One"},
                   {"connection", "x-hop-two, Cookie"},
                   {"X-Hop-One", "1"},
                   {"x-hop-two", "2"},
                   {"cookie", "gone=1"},
                   {"Content-Length", "3"},
                   {"content-length", "3"},
                   {"User-Agent", "curl/8"},
                   {"x-removed", "r"},
                   {"Expect", "100-continue"},
                   {"HTTP2-Settings", "AAA"},
                   {"Proxy-Authorization", "Basic eA=="},
                   {"X-Forwarded-Host", "evil"},
                   {"X-Real-IP", "10.0.0.9"},
                   {"Relay-Remote-Addr", "198.51.100.7:4000"},
                   {"relay-remote-addr", "192.0.2.1:1"},
                   {"Relay-Request-Id", "req-7"},
                   {"relay-tunnel", "t"},
                   {"relay-delivery-attempt", "2"},
                   {"x-bad-name\r\nx", "1"},
                   {"X-Token-Ish", "a b \"q\""},
                   {"", "empty name"},
                   {":authority-not", "x"},
                   {"X-Kept", "Yes"}};
  auto head =
      map_request(in, {.upstream = &up, .body_follows = true, .add = &add, .remove = &remove});
  EXPECT_EQ(head.text,
            "PUT /a/b?c=d HTTP/1.1\r\n"
            "Host: public.example:443\r\n"
            "Content-Length: 3\r\n"
            "Relay-Request-Id: req-7\r\n"
            "relay-delivery-attempt: 2\r\n"
            "X-Token-Ish: a b \"q\"\r\n"
            "X-Kept: Yes\r\n"
            "X-Forwarded-For: 198.51.100.7\r\n"
            "X-Real-IP: 198.51.100.7\r\n"
            "X-Forwarded-Proto: https\r\n"
            "X-Forwarded-Host: public.example:443\r\n"
            "Forwarded: for=198.51.100.7;host=\"public.example:443\";proto=https\r\n"
            "X-Env: dev\r\n"
            "\r\n");
  EXPECT_EQ(head.framing, BodyFraming::content_length);
  EXPECT_EQ(head.method, "PUT");
  EXPECT_EQ(head.path, "/a/b?c=d");
}

TEST(HeaderMapping, ExactHeadWithoutAuthorityOrClient) {
  auto up = local3000();
  core::Headers in{{":method", "DELETE"},
                   {"cookie", "a=1"},
                   {"Cookie", "b=2"},
                   {"x-q", "v"},
                   {"Relay-Remote-Addr", "bad\r\nvalue"}};
  auto chunked = map_request(in, {.upstream = &up, .body_follows = true});
  EXPECT_EQ(chunked.text,
            "DELETE / HTTP/1.1\r\n"
            "Host: localhost:3000\r\n"
            "x-q: v\r\n"
            "Cookie: a=1; b=2\r\n"
            "X-Forwarded-Proto: http\r\n"
            "Forwarded: proto=http\r\n"
            "Transfer-Encoding: chunked\r\n"
            "\r\n");
  EXPECT_EQ(chunked.framing, BodyFraming::chunked);
  core::Headers post{{":method", "POST"},
                     {":path", ""},
                     {":authority", "[::1]:8080"},
                     {":scheme", "http"},
                     {"relay-remote-addr", "[2001:db8::5]:7"}};
  auto bare = map_request(post, {.upstream = &up, .host_header = "rewrite"});
  EXPECT_EQ(bare.text,
            "POST / HTTP/1.1\r\n"
            "Host: localhost:3000\r\n"
            "X-Forwarded-For: 2001:db8::5\r\n"
            "X-Real-IP: 2001:db8::5\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: [::1]:8080\r\n"
            "Forwarded: for=\"[2001:db8::5]\";host=\"[::1]:8080\";proto=http\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
  EXPECT_EQ(bare.framing, BodyFraming::none);
}

TEST(HeaderMapping, ExactResponseFields) {
  core::Headers up{{"Server", "nginx"},
                   {"Content-Type", "application/json"},
                   {"CONTENT-LENGTH", "5 , 5"},
                   {"content-length", "5"},
                   {"Connection", "keep-alive, X-A"},
                   {"connection", "x-b"},
                   {"x-a", "1"},
                   {"X-B", "2"},
                   {"Proxy-Authenticate", "Basic"},
                   {"Upgrade", "h2c"},
                   {"Trailer", "x"},
                   {"TE", "x"},
                   {"Proxy-Connection", "x"},
                   {"relay-error-code", "X"},
                   {":status", "200"},
                   {"", "x"},
                   {"Set-Cookie", "a=1"},
                   {"set-cookie", "b=2"},
                   {"X-Long-Header-Name-Over-Fifteen", "value that is longer than fifteen bytes"}};
  std::string text;
  for (const auto& f : map_response_headers(up)) {
    text.append(f.name).append(": ").append(f.value).append("\n");
  }
  EXPECT_EQ(text,
            "server: nginx\n"
            "content-type: application/json\n"
            "content-length: 5\n"
            "set-cookie: a=1\n"
            "set-cookie: b=2\n"
            "x-long-header-name-over-fifteen: value that is longer than fifteen bytes\n");
}

TEST(HeaderMapping, ForwardedEscapesQuotesAndBackslashes) {
  auto up = local3000();
  core::Headers in{
      {":method", "GET"}, {":path", "/"}, {":authority", R"(we"ird\host)"}, {":scheme", "http"}};
  auto head = map_request(in, {.upstream = &up});
  EXPECT_THAT(head.text, HasSubstr("Forwarded: host=\"we\\\"ird\\\\host\";proto=http\r\n"));
}

// What serve_request and map_request read, found in one pass: the first field of each name, in
// any case, as Headers::get finds it.
TEST(HeaderMapping, RequestFactsAreTheFirstOfEachNameInAnyCase) {
  core::Headers in{{":Method", "POST"},
                   {":method", "GET"},
                   {":PATH", "/a"},
                   {"HOST", "h.example"},
                   {":scheme", "https"},
                   {"Relay-Request-Id", "r1"},
                   {"relay-request-id", "r2"},
                   {"relay-remote-addr", "192.0.2.1:5"},
                   {"Relay-Delivery-Id", "d1"},
                   {"relay-delivery-id", "d2"},
                   {"Connection", "a"},
                   {"connection", "b"},
                   {"Content-Length", "12"},
                   {"content-length", "13"},
                   {"x-other", "1"}};
  const auto facts = request_facts(in);
  EXPECT_EQ(facts.method, "POST");
  EXPECT_EQ(facts.path, "/a");
  EXPECT_EQ(facts.authority, std::nullopt);
  EXPECT_EQ(facts.authority_or_host(), "h.example");
  EXPECT_EQ(facts.scheme, "https");
  EXPECT_EQ(facts.request_id, "r1");
  EXPECT_EQ(facts.remote_addr, "192.0.2.1:5");
  EXPECT_EQ(facts.delivery_id, "d1");
  EXPECT_EQ(facts.connection, (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(facts.content_length, "12");
  for (const auto* name : {":method", ":path", ":authority", "host", ":scheme", "relay-request-id",
                           "relay-remote-addr", "relay-delivery-id", "content-length"}) {
    EXPECT_EQ(in.get(name).has_value(), name != std::string_view(":authority")) << name;
  }
  core::Headers with_authority{{"host", "h.example"}, {":authority", "a.example"}};
  EXPECT_EQ(request_facts(with_authority).authority_or_host(), "a.example");
  EXPECT_EQ(request_facts(core::Headers{}).authority_or_host(), "");
}

// request_facts compares names 8 bytes at a time (the last word overlapping): a name that differs
// in any byte, the last included, or only by 0x20 in a byte that is not a letter, is another name.
TEST(HeaderMapping, RequestFactsTakeNoNearMiss) {
  core::Headers in{{":metho\x04", "A"},          {"hosu", "B"},
                   {"\x1apath", "/c"},           {":authoritx", "D"},
                   {"connectioN", "e"},          {"relay\x0dremote-addr", "F"},
                   {"relay-remote-addx", "G"},   {"relay-request-iD", "h"},
                   {"RELAY-DELIVERY-ID", "i"},   {":schemE", "j"},
                   {"relay-delivery-i\x04", "K"}};
  const auto facts = request_facts(in);
  EXPECT_EQ(facts.method, std::nullopt);
  EXPECT_EQ(facts.host, std::nullopt);
  EXPECT_EQ(facts.path, std::nullopt);
  EXPECT_EQ(facts.authority, std::nullopt);
  EXPECT_EQ(facts.remote_addr, std::nullopt);
  EXPECT_EQ(facts.connection, (std::vector<std::string_view>{"e"}));
  EXPECT_EQ(facts.request_id, "h");
  EXPECT_EQ(facts.delivery_id, "i");
  EXPECT_EQ(facts.scheme, "j");
}

// ForwardStep passes the facts serve_request found (the request line defaulted, :authority or
// Host) instead of a second pass: the head is the same.
TEST(HeaderMapping, FactsFoundBeforeMapTheSameHead) {
  auto up = local3000();
  const auto in = request({{"content-type", "application/json"},
                           {"host", "ignored.example"},
                           {"relay-remote-addr", "[2001:db8::1]:5123"},
                           {"content-length", "2"}});
  const auto found = request_facts(in);
  RequestFacts given;
  given.method = found.method.value_or("GET");
  given.path = found.path.value_or("/");
  given.authority = found.authority_or_host();
  given.scheme = found.scheme.value_or("http");
  given.remote_addr = found.remote_addr;
  const RequestMappingOptions options{.upstream = &up, .body_follows = true};
  EXPECT_EQ(map_request(in, given, options).text, map_request(in, options).text);
}

// HTTP/2 refuses CR and LF in :authority and Host; a replayed request is checked here: such an
// authority is not used (the Host line then names the app), never written as a line of its own.
TEST(HeaderMapping, AnAuthorityWithALineBreakIsNotUsed) {
  auto up = local3000();
  core::Headers in{{":method", "GET"}, {":path", "/"}, {"host", "a.example\r\nX-Injected: 1"}};
  auto head = map_request(in, {.upstream = &up});
  EXPECT_THAT(head.text, StartsWith("GET / HTTP/1.1\r\nHost: localhost:3000\r\n"));
  EXPECT_THAT(head.text, Not(HasSubstr("X-Injected")));
}

}  // namespace
}  // namespace relay::agent
