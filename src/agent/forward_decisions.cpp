#include "agent/forward_decisions.hpp"

#include <algorithm>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include "relay/core/error_page.hpp"
#include "relay/net/http1_framing.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

using Where = UpstreamFailure::Where;

std::string what_to_check(const UpstreamAddress& upstream) {
  return "Is your app listening on " + upstream.host_port() + "?";
}

ForwardReport error_page(int status, std::string_view code, std::string message,
                         std::string detail) {
  return {
      ForwardReport::Action::error_page, status, code, std::move(message), std::move(detail), 0};
}

}  // namespace

bool gathers_whole_body(std::optional<std::uint64_t> content_length) {
  return content_length && *content_length <= kForwardChunk;
}

bool is_replayable(bool body_buffered, bool whole_body_here, BodyFraming framing,
                   std::string_view prefix) {
  return body_buffered || whole_body_here || (framing == BodyFraming::none && prefix.empty());
}

bool begin_request(OutgoingRequest& out, const UpstreamRequestHead& head,
                   std::optional<std::string_view> buffered_body, std::string_view prefix) {
  out.add_view(head.text);
  if (buffered_body) {
    out.add_body(*buffered_body, head.framing);
    out.add_end(head.framing);
    return true;
  }
  out.add_body(prefix, head.framing);  // body bytes read before the head was built
  return head.framing == BodyFraming::none;
}

bool retry_on_fresh_connection(bool reused, int attempt, bool replayable,
                               const UpstreamFailure& failure) {
  return reused && attempt == 0 && replayable && failure.where == Where::upstream_before_response;
}

bool is_timeout(const core::error_code& ec) {
  return ec == beast::error::timeout || ec == asio::error::timed_out;
}

bool is_malformed(const core::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_buffer;
}

UpstreamFailure write_failure(const core::error_code& ec) {
  return {is_timeout(ec) ? Where::upstream_timeout : Where::upstream_before_response, ec, {}};
}

UpstreamFailure head_failure(const core::error_code& ec) {
  if (is_malformed(ec)) return {Where::upstream_invalid, ec, ec.message()};
  return write_failure(ec);
}

UpstreamFailure body_failure(const core::error_code& ec, bool head_sent) {
  // Before the head went out the caller can still get a 502.
  if (!head_sent && is_malformed(ec)) return {Where::upstream_invalid, ec, ec.message()};
  return {Where::upstream_after_response, ec, {}};
}

bool is_interim(unsigned status) { return status < 200 && status != 101; }

std::optional<std::string> response_framing_problem(const http::fields& fields, unsigned version,
                                                    bool chunked,
                                                    std::optional<std::uint64_t> content_length) {
  net::Http1FramingCheck check;
  // Beast already knows each field's name (matched case-insensitively, as the check would): only
  // the two framing fields are handed over, not every field to be compared twice.
  for (const auto& f : fields) {
    if (f.name() == http::field::content_length || f.name() == http::field::transfer_encoding) {
      check.add(f.name_string(), f.value());
    }
  }
  return response_framing_problem(check, version, chunked, content_length);
}

std::optional<std::string> response_framing_problem(const net::Http1FramingCheck& framing_fields,
                                                    unsigned version, bool chunked,
                                                    std::optional<std::uint64_t> content_length) {
  const auto framing = framing_fields.result(false, version);
  if (!framing.ok()) return std::string(framing.reason());
  if (!framing.agrees_with(chunked, content_length)) return "its body length is ambiguous";
  return std::nullopt;
}

std::size_t response_buffer_size(std::optional<std::uint64_t> content_length) {
  if (!content_length) return kForwardChunk;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(*content_length, 1, kForwardChunk));
}

ForwardReport report_connect_failure(const core::Failure& failure, const UpstreamAddress& upstream,
                                     std::chrono::seconds connect_timeout) {
  const core::error_code& ec = failure.code;
  const std::string& error = failure.message;
  if (ec == asio::error::connection_refused) {
    return error_page(502, core::error_codes::upstream_refused,
                      "relay could not connect to your app at " + upstream.url() +
                          ": connection refused. " + what_to_check(upstream),
                      error);
  }
  if (is_timeout(ec)) {
    return error_page(504, core::error_codes::upstream_timeout,
                      "relay could not connect to your app at " + upstream.url() + " within " +
                          std::to_string(connect_timeout.count()) + " s. " +
                          what_to_check(upstream),
                      error);
  }
  return error_page(502, core::error_codes::upstream_failed,
                    "relay could not reach your app: " + error + ". " + what_to_check(upstream),
                    error);
}

ForwardReport report_failure(const UpstreamFailure& failure, const UpstreamAddress& upstream,
                             std::chrono::seconds response_timeout, std::string_view method,
                             std::string_view path) {
  const auto why = failure.ec.message();
  switch (failure.where) {
    case Where::none:
      break;
    case Where::caller:  // the edge or the public caller went away: nobody to answer
      return {ForwardReport::Action::reset_stream, 0,  {}, {},
              "the caller went away: " + why,      0x8 /* CANCEL */};
    case Where::upstream_timeout:
      return error_page(504, core::error_codes::upstream_timeout,
                        "Your app at " + upstream.url() + " did not answer within " +
                            std::to_string(response_timeout.count()) +
                            " s. Check that it responds to " + std::string(method) + " " +
                            std::string(path) + ".",
                        why);
    case Where::upstream_before_response:
      return error_page(502, core::error_codes::upstream_failed,
                        "The connection to your app at " + upstream.url() +
                            " failed before it answered: " + why + ". Check your app's logs.",
                        why);
    case Where::upstream_invalid:
      return error_page(502, core::error_codes::upstream_failed,
                        "Your app at " + upstream.url() +
                            " sent a response relay cannot forward safely: " + failure.why +
                            ". Fix how the app frames its response (Content-Length or "
                            "Transfer-Encoding: chunked).",
                        "the app sent an invalid HTTP/1.1 response: " + failure.why);
    case Where::upstream_after_response:
      // Headers are gone already: the only honest signal left is to reset the stream.
      return {ForwardReport::Action::reset_stream,    0,  core::error_codes::upstream_failed, {},
              "the app's response broke off: " + why, 0x2 /* INTERNAL_ERROR */};
  }
  return {};
}

}  // namespace relay::agent
