#include "edge/public_refusal.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace relay::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace codes = core::error_codes;

RefusalAnswer refusal_answer(PublicRefusal why, const RefusalContext& context) {
  const auto& limits = context.limits;
  switch (why) {
    case PublicRefusal::head_too_large:
      return {{431, codes::headers_too_large,
               fmt::format("the request head is larger than this edge accepts ({} bytes); "
                           "send fewer or smaller headers",
                           limits.max_header_bytes)}};
    case PublicRefusal::body_too_large:
      return {{413, codes::body_too_large,
               fmt::format("the request body is larger than this edge accepts ({} bytes)",
                           limits.max_body_bytes)}};
    case PublicRefusal::not_http:
      return {{400, codes::bad_request,
               fmt::format("the request is not valid HTTP/1.1 ({})", context.detail)}};
    case PublicRefusal::no_host:
      return {{400, codes::bad_request,
               fmt::format("the request has no Host header; relay routes by host name (NAME.{})",
                           context.domain)}};
    case PublicRefusal::unknown_host:
      return {{404, codes::tunnel_not_found,
               fmt::format("no tunnel serves the host '{}'. Tunnels are NAME.{}; start one with "
                           "'relay http 3000 --url NAME' and check the URL it prints",
                           context.host, context.domain)},
              0,
              true};
    case PublicRefusal::ip_denied:
      return {{403, codes::ip_denied,
               fmt::format("tunnel '{}' does not accept requests from your address (its "
                           "ip_allow / ip_deny rules); ask the tunnel's owner to allow it",
                           context.tunnel)},
              0,
              true};
    case PublicRefusal::peer_unreachable:
      return {{502, codes::agent_session_lost,
               fmt::format("tunnel '{}' is held by another edge of the cluster, which this edge "
                           "cannot reach over the peer link right now; retry in a moment",
                           context.tunnel)},
              0,
              true};
    case PublicRefusal::queue_unavailable:
      return {{503, codes::queue_unavailable,
               fmt::format("the edge cannot reach the cluster's Redis to find tunnel '{}' right "
                           "now; retry later",
                           context.tunnel)},
              30,
              true};
    case PublicRefusal::tunnel_offline:
      return {{404, codes::tunnel_not_found,
               fmt::format("tunnel '{}' is not online. Start it with 'relay http 3000 --url {}' "
                           "(or check the URL the agent printed)",
                           context.tunnel, context.tunnel)},
              0,
              true};
    case PublicRefusal::agent_disconnected:
      return {{502, codes::agent_session_lost,
               fmt::format("the agent serving tunnel '{}' is disconnected; it keeps its URL if it "
                           "reconnects within {} s",
                           context.tunnel, context.resume_grace.count())},
              0,
              true};
    case PublicRefusal::too_many_requests:
      return {{429, codes::too_many_requests,
               fmt::format("this address has {} requests in flight through the edge, the most "
                           "it allows; wait for answers before sending more",
                           limits.max_requests_per_ip)},
              1,
              true};
  }
  return {{500, codes::bad_request, "unknown refusal"}};  // unreachable: every case returns
}

std::uint32_t head_limit_bytes(const EdgeLimits& limits) {
  return static_cast<std::uint32_t>(
      std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max()));
}

std::optional<PublicRefusal> head_read_refusal(const boost::system::error_code& ec) {
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
      ec == asio::error::bad_descriptor || ec == beast::error::timeout ||
      ec == asio::ssl::error::stream_truncated) {
    return std::nullopt;
  }
  if (ec == http::error::header_limit) return PublicRefusal::head_too_large;
  if (ec == http::error::body_limit) return PublicRefusal::body_too_large;
  return PublicRefusal::not_http;
}

Destination choose_destination(bool has_policy, bool has_target, SessionRegistry::State state) {
  if (has_policy) return Destination::buffer;
  if (has_target) return Destination::proxy;
  if (state == SessionRegistry::State::not_found) return Destination::tunnel_offline;
  return Destination::agent_disconnected;
}

}  // namespace relay::edge
