#include "edge/request_head.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include "edge/peer_protocol.hpp"
#include "relay/core/token_list.hpp"
#include "relay/net/http1_framing.hpp"
#include "relay/net/tunnel_protocol.hpp"

namespace relay::edge {

namespace http = boost::beast::http;
namespace protocol = net::protocol;

namespace {

// The edge decides who the caller is (relay-remote-addr; the agent builds X-Forwarded-For,
// X-Real-IP and Forwarded from it): a caller's own values would let it claim any address.
// durable delivery: only the edge marks a queued delivery (relay-delivery-*, relay-received-at);
// the agent trusts them, and a forged received-at would stretch a signature's freshness.
bool is_edge_owned(std::string_view lower_name) {
  return lower_name == protocol::kTunnelHeader || lower_name == protocol::kRequestIdHeader ||
         lower_name == protocol::kRemoteAddrHeader || lower_name == "x-forwarded-for" ||
         lower_name == "x-real-ip" || lower_name == "forwarded" ||
         lower_name == protocol::kDeliveryIdHeader || lower_name == protocol::kReceivedAtHeader ||
         lower_name == protocol::kDeliveryAttemptHeader ||
         lower_name == peer::kHopHeader;  // cluster: peer link (a public client is no peer)
}

// A caller's field the stream never carries, by its lower-case name: hop-by-hop fields, Host
// (now :authority), Expect (the edge answers 100-continue itself) and the edge's own fields.
bool is_dropped(std::string_view lower_name) {
  return protocol::is_hop_by_hop(lower_name) || lower_name == "host" || lower_name == "expect" ||
         is_edge_owned(lower_name);
}

// A field Beast knows by name (http::field), with what make_stream_headers needs of it worked
// out once per process: lower-casing and matching each field's name on every request was a
// third of the function's instructions.
struct KnownField {
  std::string lower_name;
  bool dropped = false;
};

const KnownField& known_field(http::field field) {
  static const auto kTable = [] {
    // http::field::xref is the last of Beast's names.
    std::vector<KnownField> table(static_cast<std::size_t>(http::field::xref) + 1);
    for (std::size_t i = 1; i < table.size(); ++i) {
      auto name = core::to_lower(http::to_string(static_cast<http::field>(i)));
      const bool dropped = is_dropped(name);
      table[i] = {std::move(name), dropped};
    }
    return table;
  }();
  return kTable[static_cast<std::size_t>(field)];
}

// "http://host:1/a" → "host:1"; nullopt when the target is not in absolute form.
std::optional<std::string_view> absolute_authority(std::string_view target) {
  if (target.empty() || target.front() == '/') return std::nullopt;  // origin form: most requests
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && core::iequals(target.substr(0, scheme.size()), scheme)) {
      auto rest = target.substr(scheme.size());
      return rest.substr(0, rest.find_first_of("/?#"));
    }
  }
  return std::nullopt;
}

// uri-host [":" port] (RFC 3986 reg-name, IPv4, [IPv6]): no spaces, commas, userinfo or paths,
// so two hops cannot split or read it differently. By a table of the bytes allowed, built at
// compile time: searching the punctuation list for each of a host's dots and its colon cost
// ~250 instructions per request.
bool is_valid_authority(std::string_view authority) {
  static constexpr auto kAllowed = [] {
    std::array<bool, 256> allowed{};
    for (int c = 0; c < 256; ++c) {
      allowed[static_cast<std::size_t>(c)] =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    for (char c : std::string_view("-._~!$&'()*+;=:[]%"))
      allowed[static_cast<unsigned char>(c)] = true;
    return allowed;
  }();
  return !authority.empty() && std::all_of(authority.begin(), authority.end(), [](char c) {
    return kAllowed[static_cast<unsigned char>(c)];
  });
}

// The first value of a field Beast knows by name, found by walking the head's fields: a
// webhook's head has a handful, and request[name] searches Beast's field set case-insensitively
// (~250 instructions a lookup, several per request). Beast keeps the fields of one name together
// in its list, first received first, so the first met is the value request[name] returns.
std::string_view first_value(const http::request_header<>& request, http::field name) {
  for (const auto& field : request) {
    if (field.name() == name) return field.value();
  }
  return {};
}

// The names make_stream_headers adds of its own: the pseudo-headers and the edge's fields.
constexpr std::size_t kPseudoAndEdgeNameBytes =
    std::string_view(":method:scheme:authority:path").size() + protocol::kTunnelHeader.size() +
    protocol::kRequestIdHeader.size() + protocol::kRemoteAddrHeader.size();

}  // namespace

HeadRejection check_request_head(const http::request_header<>& request, bool parser_chunked,
                                 boost::optional<std::uint64_t> parser_length) {
  net::Http1FramingCheck check;
  int hosts = 0;
  std::string_view host;
  for (const auto& field : request) {
    // By Beast's (case-insensitive) name: only Transfer-Encoding and Content-Length frame a
    // body, and matching every field's name against them cost ~500 instructions a request.
    switch (field.name()) {
      case http::field::transfer_encoding:
        check.add_codings(field.value());
        break;
      case http::field::content_length:
        check.add_lengths(field.value());
        break;
      case http::field::host:
        if (hosts++ == 0) host = field.value();
        break;
      default:
        break;
    }
  }
  const auto framing = check.result(true, request.version());
  if (!framing.ok()) {
    return {framing.request_status(),
            fmt::format("relay refuses this request because {}", framing.reason())};
  }
  // Belt and braces: Beast must read the body exactly as judged above, or the bytes after it
  // would be taken for another request.
  const auto length = parser_length ? std::optional(*parser_length) : std::nullopt;
  if (!framing.agrees_with(parser_chunked, length)) {
    return {400, "relay refuses this request because its body length is ambiguous"};
  }
  if (hosts > 1) {
    return {400, fmt::format("the request has {} Host headers; send exactly one (RFC 9112 §3.2)",
                             hosts)};
  }
  if (auto authority = absolute_authority(request.target())) {
    if (authority->find('@') != std::string_view::npos) {
      return {400,
              "the request target has user information (user@host); relay does not accept "
              "credentials in the URL"};
    }
    if (!is_valid_authority(*authority)) {
      return {400, "the absolute request target has no valid host"};
    }
    return {};
  }
  if (!host.empty() && !is_valid_authority(host)) {
    return {400, "the Host header is not a valid host[:port]"};
  }
  return {};
}

std::string_view request_authority(const http::request_header<>& request) {
  if (auto authority = absolute_authority(request.target())) return *authority;
  return first_value(request, http::field::host);
}

bool keeps_alive(const http::request_header<>& request) {
  // Beast's request.keep_alive(), by a walk instead of a search of the field set.
  const auto connection = first_value(request, http::field::connection);
  if (request.version() < 11) {
    return !connection.empty() && http::token_list{connection}.exists("keep-alive");
  }
  return connection.empty() || !http::token_list{connection}.exists("close");
}

std::string_view origin_form(std::string_view target) {
  if (target.empty() || target.front() == '/') return target;  // already in origin form
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && core::iequals(target.substr(0, scheme.size()), scheme)) {
      auto rest = target.substr(scheme.size());
      auto slash = rest.find_first_of("/?");
      if (slash == std::string_view::npos) return "/";
      return rest.substr(slash);  // "?q" alone is rare and still a valid path for the app
    }
  }
  return target;
}

std::string request_target_error(const http::request_header<>& request) {
  if (request.method() == http::verb::connect) {
    return "CONNECT is not supported: relay forwards HTTP requests to an app, it is not a proxy";
  }
  std::string_view target = origin_form(request.target());
  if (target == "*" && request.method() == http::verb::options) return {};
  if (target.empty() || (target.front() != '/' && target.front() != '?')) {
    return "the request target must be a path starting with '/'";
  }
  return {};
}

core::Headers make_stream_headers(const http::request_header<>& request,
                                  const ForwardContext& context) {
  // Each field is copied once, from Beast's views into the Headers' one buffer, sized here for
  // all of them (at most: dropped fields are counted too) so that it is allocated once.
  std::size_t fields = 0;
  std::size_t text_bytes = 0;
  for (const auto& field : request) {
    ++fields;
    text_bytes += field.name_string().size() + field.value().size();
  }
  std::string_view target = origin_form(request.target());
  const std::string_view authority = request_authority(request);
  text_bytes += request.method_string().size() + context.scheme.size() + authority.size() +
                target.size() + context.tunnel.size() + context.request_id.size() +
                context.remote_addr.size() + kPseudoAndEdgeNameBytes + 1;
  core::Headers out;
  out.reserve(7 + fields, text_bytes);
  out.add(":method", request.method_string());
  out.add(":scheme", context.scheme);
  out.add(":authority", authority);
  if (target.front() == '?') {
    std::string path;
    path.reserve(1 + target.size());
    path += '/';
    path += target;
    out.add(":path", path);
  } else {
    out.add(":path", target);
  }

  const std::string_view connection = first_value(request, http::field::connection);
  const bool chunked = !first_value(request, http::field::transfer_encoding).empty();
  bool has_length = false;
  std::string unknown_name;  // an unknown field's name in lower case; the view below points here
  for (const auto& field : request) {
    std::string_view name;
    if (field.name() != http::field::unknown) {
      const auto& known = known_field(field.name());
      if (known.dropped) continue;
      name = known.lower_name;
    } else {
      unknown_name = core::to_lower(field.name_string());
      if (is_dropped(unknown_name)) continue;
      name = unknown_name;
    }
    if (field.name() == http::field::content_length) {
      if (chunked || has_length) continue;  // chunked wins (RFC 9112 §6.3); one length only
      has_length = true;
      // "5, 5" (checked to agree by check_request_head) → "5": HTTP/2 takes a single number.
      auto value = field.value();
      value = value.substr(0, value.find(','));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      out.add(name, value);
      continue;
    }
    if (!connection.empty() && core::list_has_token(connection, name)) continue;
    out.add(name, field.value());
  }
  out.add(protocol::kTunnelHeader, context.tunnel);
  out.add(protocol::kRequestIdHeader, context.request_id);
  out.add(protocol::kRemoteAddrHeader, context.remote_addr);
  return out;
}

bool expects_continue(const http::request_header<>& request) {
  return request.version() >= 11 &&
         core::iequals(first_value(request, http::field::expect), "100-continue");
}

bool is_malformed_body(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
         ec != http::error::partial_message && ec != http::error::end_of_stream &&
         ec != http::error::body_limit;
}

}  // namespace relay::edge
