#include "edge/proxy_answer.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/beast/http/error.hpp>

#include "edge/request_head.hpp"
#include "relay/net/error.hpp"

namespace relay::edge {

namespace http = boost::beast::http;
namespace codes = core::error_codes;

UploadError classify_upload_error(const boost::system::error_code& ec, bool rate_too_slow) {
  if (ec == http::error::body_limit) return UploadError::too_large;
  if (rate_too_slow) return UploadError::too_slow;
  if (is_malformed_body(ec)) return UploadError::malformed;
  return UploadError::caller_gone;
}

std::string holder_description(std::string_view via_edge, std::string_view tunnel) {
  if (via_edge.empty()) return fmt::format("the agent for tunnel '{}'", tunnel);
  return fmt::format("the edge '{}' holding tunnel '{}' (over the cluster's peer link)", via_edge,
                     tunnel);
}

core::ErrorPage busy_page(std::string_view tunnel) {
  return {503, codes::tunnel_busy,
          fmt::format("tunnel '{}' is handling as many requests as its agent allows; retry in a "
                      "few seconds",
                      tunnel)};
}

namespace {
core::ErrorPage shutting_down_page(std::string_view tunnel) {
  return {
      503, codes::shutting_down,
      fmt::format("the agent for tunnel '{}' is reconnecting or shutting down; retry in a moment",
                  tunnel)};
}
}  // namespace

core::ErrorPage open_failure_page(const boost::system::error_code& ec, std::string_view tunnel,
                                  std::string_view holder) {
  if (ec == net::Errc::refused) return shutting_down_page(tunnel);
  return {502, codes::agent_session_lost,
          fmt::format("{} is disconnected; restart it or wait for it to reconnect", holder)};
}

std::optional<core::ErrorPage> failure_page(const StreamFailure& failure, const EdgeLimits& limits,
                                            std::string_view tunnel, std::string_view holder) {
  switch (failure.upload) {
    case UploadError::too_large:
      return core::ErrorPage{
          413, codes::body_too_large,
          fmt::format("the request body is larger than this edge accepts ({} bytes)",
                      limits.max_body_bytes)};
    case UploadError::too_slow:
      return core::ErrorPage{
          408, codes::request_timeout,
          fmt::format("the request body arrived too slowly (under {} bytes/s after {} s); send "
                      "it faster or in a smaller request",
                      limits.body_min_rate, limits.body_rate_grace.count())};
    default:
      break;
  }
  if (failure.timed_out) {
    return core::ErrorPage{504, codes::upstream_timeout,
                           fmt::format("the app behind tunnel '{}' did not answer within {} s",
                                       tunnel, limits.response_timeout.count())};
  }
  if (failure.upload == UploadError::malformed) {
    return core::ErrorPage{400, codes::bad_request,
                           "the request body is not valid chunked encoding (a bad chunk size, "
                           "or chunk data that does not match its size)"};
  }
  if (failure.upload == UploadError::caller_gone) return std::nullopt;
  if (failure.stream_error == net::Errc::refused) {
    // REFUSED_STREAM, or past a GOAWAY's last stream id: the agent never started on it, so a
    // retry is safe, and the agent reconnects (a GOAWAY ends its session).
    return shutting_down_page(tunnel);
  }
  if (failure.stream_error == net::Errc::stream_reset) {
    return core::ErrorPage{
        502, codes::upstream_failed,
        fmt::format("the agent for tunnel '{}' abandoned the request; check the agent's log",
                    tunnel)};
  }
  return core::ErrorPage{
      502, codes::agent_session_lost,
      fmt::format("{} disconnected while handling the request; retry once it reconnects", holder)};
}

core::ErrorPage response_cut_page(std::string_view holder) {
  return {502, codes::agent_session_lost,
          fmt::format("{} disconnected while sending the response", holder)};
}

std::string_view known_agent_error(std::string_view header_value) {
  for (auto known : {codes::upstream_refused, codes::upstream_timeout, codes::upstream_failed,
                     codes::signature_invalid, codes::body_too_large}) {
    if (header_value == known) return known;
  }
  return {};
}

std::size_t upload_buffer_size(std::optional<std::uint64_t> content_length) {
  if (!content_length) return kUploadChunk;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(*content_length, 1, kUploadChunk));
}

}  // namespace relay::edge
