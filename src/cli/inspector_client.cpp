#include "cli/inspector_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "relay/net/localhost_names.hpp"

namespace relay::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string InspectorAnswer::message() const {
  if (body.is_object() && body.contains("msg") && body["msg"].is_string()) {
    return body["msg"].get<std::string>();
  }
  return text.empty() ? "HTTP " + std::to_string(status) : text;
}

InspectorAnswer call_inspector(const std::string& addr, const std::string& method,
                               const std::string& target, const std::string& body,
                               std::chrono::seconds timeout) {
  std::string host = "127.0.0.1";
  std::string port = addr;
  if (const auto colon = addr.rfind(':'); colon != std::string::npos) {
    host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "127.0.0.1";
  }
  asio::io_context io;
  beast::tcp_stream stream{io};
  stream.expires_after(timeout);
  asio::ip::tcp::resolver resolver{io};
  stream.connect(net::resolve_blocking(resolver, host, port));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, addr.find(':') == std::string::npos ? "127.0.0.1:" + addr : addr);
  req.set(http::field::user_agent, "relay-cli");
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  InspectorAnswer answer;
  answer.status = static_cast<int>(res.result_int());
  answer.text = res.body();
  answer.body = nlohmann::json::parse(answer.text, nullptr, false);
  if (answer.body.is_discarded()) answer.body = nullptr;
  return answer;
}

std::string no_inspector_message(const std::string& addr, const std::string& why) {
  return "no agent's inspector answered at " + addr + " (" + why +
         "); is `relay http` or `relay start` running? Pass its inspector address with "
         "--inspect-addr";
}

}  // namespace relay::cli
