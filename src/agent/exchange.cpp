#include "agent/exchange.hpp"

#include "relay/core/error_page.hpp"

namespace relay::agent {

namespace asio = boost::asio;

asio::awaitable<bool> buffer_body(Exchange& x, std::size_t limit, core::error_code& ec) {
  if (x.body_buffered) co_return true;
  std::string chunk;
  while (!x.stream->body_complete()) {
    auto got = x.stream->try_read(chunk);
    if (!got) got = co_await x.stream->read(chunk);
    ec = *got;
    if (ec) co_return false;
    if (chunk.empty()) break;
    if (x.body.size() + chunk.size() > limit) co_return false;
    x.body += chunk;
  }
  x.body_buffered = true;
  co_return true;
}

std::string Exchange::url() const {
  std::string url;
  url.reserve(scheme.size() + 3 + authority.size() + path.size());
  url.append(scheme).append("://").append(authority).append(path);
  return url;
}

asio::awaitable<void> respond_with(Exchange& x, int status, core::Headers headers,
                                   std::string body) {
  x.status = status;
  headers.set("content-length", std::to_string(body.size()));
  if (x.stream->respond(status, std::move(headers), body.empty() || x.method == "HEAD")) co_return;
  if (body.empty() || x.method == "HEAD") co_return;
  if (!x.stream->try_write(body, true)) (void)co_await x.stream->write(body, true);
}

asio::awaitable<void> respond_error(Exchange& x, int status, std::string_view code,
                                    std::string message) {
  auto page = core::render_error_page({status, code, std::move(message)},
                                      x.headers().get("accept").value_or(""));
  x.relay_code = code;
  core::Headers headers{{"content-type", page.content_type},
                        {std::string(core::kRelayErrorCodeHeader), std::string(code)},
                        {"cache-control", "no-store"}};
  co_await respond_with(x, status, std::move(headers), std::move(page.body));
}

}  // namespace relay::agent
