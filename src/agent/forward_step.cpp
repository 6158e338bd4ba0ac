#include "agent/forward_step.hpp"

#include <string>

#include "agent/forward_decisions.hpp"
#include "agent/header_mapping.hpp"
#include "agent/upstream_exchange.hpp"

namespace relay::agent {

namespace asio = boost::asio;

namespace {

// Says so to the caller: an error page, or a reset when nobody can be answered.
asio::awaitable<void> report(Exchange& x, ForwardReport r) {
  x.detail = std::move(r.detail);
  switch (r.action) {
    case ForwardReport::Action::none:
      break;
    case ForwardReport::Action::error_page:
      co_await respond_error(x, r.status, r.code, std::move(r.message));
      break;
    case ForwardReport::Action::reset_stream:
      if (!r.code.empty()) x.relay_code = r.code;
      x.stream->reset(r.h2_error);
      break;
  }
}

// Not coroutines: each builds its ForwardReport here, and report() moves it into its own frame.
// Built inside a co_await expression in run(), the two reports (~100 bytes each) were
// temporaries kept in run()'s frame, which grew past what Asio recycles (~1 KB): it was
// malloc'd for every request, and its allocation evicted a recycled frame too.
asio::awaitable<void> report_connect(Exchange& x, const core::Failure& failure,
                                     const UpstreamAddress& upstream,
                                     std::chrono::seconds connect_timeout) {
  return report(x, report_connect_failure(failure, upstream, connect_timeout));
}

asio::awaitable<void> report_exchange(Exchange& x, const UpstreamFailure& failure,
                                      const UpstreamAddress& upstream,
                                      std::chrono::seconds response_timeout) {
  return report(x, report_failure(failure, upstream, response_timeout, x.method, x.path));
}

// The request head for the app, from the facts serve_request found when it has them (the pass
// over the fields they came from is not made twice), and from the fields themselves otherwise
// (a replay, fields re-signed).
UpstreamRequestHead map_exchange(const Exchange& x, const RequestMappingOptions& mapping) {
  if (!x.fields_read || x.resigned_headers) return map_request(x.headers(), mapping);
  RequestFacts facts;
  facts.method = x.method;
  facts.path = x.path;
  facts.authority = x.authority;  // :authority, else Host, else ""
  facts.scheme = x.scheme;
  facts.remote_addr = x.remote_addr;
  auto validated = mapping;
  validated.fields_validated = true;  // the stream's own fields, as nghttp2 delivered them
  return map_request(x.headers(), facts, validated);
}

}  // namespace

asio::awaitable<Step::Outcome> ForwardStep::run(Exchange& x) {
  const auto& upstream = pool_->address();
  // HTTP/2 says "no body" by END_STREAM, which may come in a separate empty DATA frame. When
  // the length is unknown, wait for the first body bytes (or the end) before choosing between
  // no body and chunked: the head and those bytes then go out in one write. A body of known
  // length up to kForwardChunk (a webhook's) is gathered whole first, as the exchange would
  // gather it before its first write anyway: the request can then be sent again on a fresh
  // connection if a kept-alive one turns out closed, so that one needs no liveness check.
  std::string prefix;
  bool body_follows = x.body_buffered ? !x.body.empty() : !x.stream->body_complete();
  bool whole_body_here = false;
  if (body_follows && !x.body_buffered) {
    whole_body_here =
        gathers_whole_body(x.fields_read ? x.content_length : x.headers().content_length());
    std::string chunk;
    do {
      auto got = x.stream->try_read(chunk);  // a webhook's body came with its head
      if (!got) got = co_await x.stream->read(chunk);
      if (*got) {
        x.detail = "the caller went away: " + got->message();
        co_return Outcome::answered;
      }
      if (prefix.empty()) {
        prefix.swap(chunk);
      } else {
        prefix += chunk;
      }
    } while (whole_body_here && !x.stream->body_complete());
    body_follows = !prefix.empty() || !x.stream->body_complete();
  }
  RequestMappingOptions mapping;
  mapping.upstream = &upstream;
  mapping.host_header = options_.host_header;
  mapping.body_follows = body_follows;
  mapping.add = &options_.request_header_add;
  mapping.remove = &options_.request_header_remove;
  const auto head = map_exchange(x, mapping);

  const bool replayable = is_replayable(x.body_buffered, whole_body_here, head.framing, prefix);
  core::Fallible<std::unique_ptr<UpstreamConnection>> acquired = pool_->take_idle(replayable);
  if (!acquired.value()) acquired = co_await pool_->connect();
  for (int attempt = 0;; ++attempt) {
    if (!acquired) {
      co_await report_connect(x, acquired.error(), upstream, limits_.upstream_connect_timeout);
      co_return Outcome::answered;
    }
    auto connection = std::move(acquired.value());
    auto outcome = co_await exchange_with_upstream(*connection, x, head, prefix, limits_);
    if (outcome.failure.where == UpstreamFailure::Where::none) {
      if (outcome.keep_alive) pool_->release(std::move(connection));
      co_return Outcome::answered;
    }
    if (retry_on_fresh_connection(connection->reused, attempt, replayable, outcome.failure)) {
      acquired = co_await pool_->connect();
      continue;
    }
    connection.reset();  // closed before the caller hears of it, as a failed one should be
    co_await report_exchange(x, outcome.failure, upstream, limits_.upstream_response_timeout);
    co_return Outcome::answered;
  }
}

}  // namespace relay::agent
