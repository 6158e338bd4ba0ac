// `relay replay ID`: replays a captured request through the running agent's inspector API
// (POST /api/requests/http/{id}/replay, docs/inspector.md). A thin, blocking HTTP client: the
// CLI process does nothing else meanwhile.
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "relay/net/localhost_names.hpp"
#include "relay/verify/crypto.hpp"

namespace relay::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct ReplayArgs {
  std::string id;
  std::string tunnel;
  std::vector<std::string> set_headers;
  std::vector<std::string> remove_headers;
  std::string body_file;
  std::string method;
  std::string path;
  bool resign = false;
  std::string inspect_addr = "127.0.0.1:4040";
};

// Returns the exit code; prints what happened or what to do.
int run_replay(const ReplayArgs& args) {
  nlohmann::json mods = nlohmann::json::object();
  if (!args.tunnel.empty()) mods["tunnel_name"] = args.tunnel;
  if (!args.method.empty()) mods["method"] = args.method;
  if (!args.path.empty()) mods["path"] = args.path;
  if (args.resign) mods["resign"] = true;
  for (const auto& h : args.set_headers) {
    const auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "relay replay: --set-header \"" << h
                << "\" is not \"Name: value\"; e.g. --set-header 'X-Debug: 1'\n";
      return kExitUsage;
    }
    const auto value_start = h.find_first_not_of(' ', colon + 1);
    mods["set_headers"][h.substr(0, colon)] =
        value_start == std::string::npos ? "" : h.substr(value_start);
  }
  if (!args.remove_headers.empty()) mods["remove_headers"] = args.remove_headers;
  if (!args.body_file.empty()) {
    std::ifstream in{args.body_file, std::ios::binary};
    if (!in) {
      std::cerr << "relay replay: cannot read --body-file " << args.body_file
                << "; check the path and its permissions\n";
      return kExitUsage;
    }
    std::ostringstream body;
    body << in.rdbuf();
    mods["body_base64"] = verify::base64_encode(body.str());  // binary-safe in JSON
  }

  std::string host = "127.0.0.1";
  std::string port = args.inspect_addr;
  if (const auto colon = args.inspect_addr.rfind(':'); colon != std::string::npos) {
    host = args.inspect_addr.substr(0, colon);
    port = args.inspect_addr.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  }

  try {
    asio::io_context io;
    beast::tcp_stream stream{io};
    stream.expires_after(std::chrono::seconds{120});  // the replay waits for the app's answer
    asio::ip::tcp::resolver resolver{io};
    stream.connect(net::resolve_blocking(resolver, host, port));
    http::request<http::string_body> req{http::verb::post,
                                         "/api/requests/http/" + args.id + "/replay", 11};
    req.set(http::field::host, args.inspect_addr);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "relay-replay");
    req.body() = mods.dump();
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);

    const auto json = nlohmann::json::parse(res.body(), nullptr, false);
    if (res.result_int() != 200) {
      const std::string msg = json.is_object() ? json.value("msg", res.body()) : res.body();
      std::cerr << "relay replay: " << msg << "\n";
      return kExitFailure;
    }
    std::cout << "replayed " << args.id << " as " << json.value("id", "?");
    if (json.contains("response") && json["response"].is_object()) {
      std::cout << ": " << json["response"].value("status", "");
    } else if (json.contains("relay") && !json["relay"].value("error", "").empty()) {
      std::cout << ": " << json["relay"].value("error", "");
    }
    std::cout << "\n";
    return 0;
  } catch (const boost::system::system_error& e) {
    std::cerr << "relay replay: no inspector answered at " << args.inspect_addr << " ("
              << e.code().message()
              << "); is `relay http` or `relay start` running? Pass its address with "
                 "--inspect-addr\n";
    return kExitFailure;
  }
}

}  // namespace

void add_replay_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay",
      "Replay a captured request through the running agent (the inspector's Replay button)");
  cmd->add_option("id", args->id, "The request's id, as the inspector and its API show it")
      ->required();
  cmd->add_option("--tunnel", args->tunnel, "Deliver through this tunnel instead of the original");
  cmd->add_option("--set-header", args->set_headers, "Set a header: 'Name: value' (repeatable)");
  cmd->add_option("--remove-header", args->remove_headers, "Remove a header (repeatable)");
  cmd->add_option("--body-file", args->body_file, "Send this file's bytes as the body");
  cmd->add_option("--method", args->method, "Change the method");
  cmd->add_option("--path", args->path, "Change the path and query");
  cmd->add_flag("--resign", args->resign,
                "Sign the request again for the tunnel's provider, so a stale or edited event "
                "verifies");
  cmd->add_option("--inspect,--inspect-addr", args->inspect_addr, "The agent's inspector address")
      ->capture_default_str();
  cmd->callback([&ctx, args] {
    ctx.apply_logging();
    ctx.exit_code = run_replay(*args);
  });
}

}  // namespace relay::cli
