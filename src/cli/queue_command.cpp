// `relay queue list|retry|drop|purge`: the durable delivery queue of the running agent's tunnels
// (docs/delivery.md), through its inspector API (/api/deliveries, docs/inspector.md), as
// `relay replay` does. The queue itself lives at the edge; the agent asks it.
#include <algorithm>
#include <iostream>

#include <boost/system/system_error.hpp>

#include "cli/commands.hpp"
#include "cli/inspector_client.hpp"

namespace relay::cli {
namespace {

constexpr std::chrono::seconds kTimeout{30};  // the agent waits at most 5 s for the edge

struct QueueArgs {
  std::string inspect_addr = "127.0.0.1:4040";
  bool json = false;
  std::string state;
  std::string tunnel;
  int limit = 100;
  std::string id;
};

std::string query_escape(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string one_line(std::string text, std::size_t max) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  if (text.size() > max) text = text.substr(0, max - 3) + "...";
  return text;
}

// "2026-12-06T10:15:30.123000Z" → "2026-12-06 10:15:30".
std::string short_time(const nlohmann::json& value) {
  if (!value.is_string()) return "-";
  auto text = value.get<std::string>();
  if (text.size() < 19) return text.empty() ? "-" : text;
  text = text.substr(0, 19);
  text[10] = ' ';
  return text;
}

void print_table(const nlohmann::json& deliveries) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"ID", "TUNNEL", "STATE", "ATTEMPTS", "RECEIVED (UTC)", "NEXT ATTEMPT", "REQUEST",
                  "LAST ERROR"});
  for (const auto& d : deliveries) {
    std::string error = d.value("last_error", "");
    if (const int status = d.value("last_status", 0); status != 0 && error.empty()) {
      error = "HTTP " + std::to_string(status);
    }
    rows.push_back({d.value("id", ""), d.value("tunnel", ""), d.value("state", ""),
                    std::to_string(d.value("attempts", 0)),
                    short_time(d.value("received_at", nlohmann::json())),
                    short_time(d.value("next_attempt_at", nlohmann::json())),
                    one_line(d.value("method", "") + " " + d.value("path", ""), 40),
                    one_line(error.empty() ? "-" : error, 100)});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

// Calls the API; prints the error and returns nullopt when it failed.
std::optional<InspectorAnswer> call(const QueueArgs& args, const std::string& method,
                                    const std::string& target) {
  try {
    auto answer = call_inspector(args.inspect_addr, method, target, "", kTimeout);
    if (answer.status / 100 != 2) {
      std::cerr << "relay queue: " << answer.message() << "\n";
      return std::nullopt;
    }
    return answer;
  } catch (const boost::system::system_error& e) {
    std::cerr << "relay queue: " << no_inspector_message(args.inspect_addr, e.code().message())
              << "\n";
    return std::nullopt;
  }
}

int run_list(const QueueArgs& args) {
  std::string target = "/api/deliveries?limit=" + std::to_string(args.limit);
  if (!args.state.empty()) target += "&state=" + query_escape(args.state);
  if (!args.tunnel.empty()) target += "&tunnel=" + query_escape(args.tunnel);
  auto answer = call(args, "GET", target);
  if (!answer) return kExitFailure;
  const auto& deliveries = answer->body.is_object()
                               ? answer->body.value("deliveries", nlohmann::json::array())
                               : nlohmann::json::array();
  if (args.json) {
    std::cout << deliveries.dump(2) << "\n";
    return 0;
  }
  if (deliveries.empty()) {
    std::cout << "no deliveries" << (args.state.empty() ? "" : " in state " + args.state)
              << (args.tunnel.empty() ? "" : " for tunnel " + args.tunnel) << "\n";
    return 0;
  }
  print_table(deliveries);
  return 0;
}

int run_retry(const QueueArgs& args) {
  auto answer = call(args, "POST", "/api/deliveries/" + query_escape(args.id) + "/retry");
  if (!answer) return kExitFailure;
  if (args.json) {
    std::cout << answer->body.dump(2) << "\n";
  } else if (answer->body.is_object() && answer->body.value("retried", 0) == 0 &&
             !answer->body.value("message", "").empty()) {
    std::cout << answer->body.value("message", "") << "\n";  // queued or in flight already
  } else {
    std::cout << "delivery " << args.id << " is queued for delivery now\n";
  }
  return 0;
}

int run_drop(const QueueArgs& args) {
  auto answer = call(args, "DELETE", "/api/deliveries/" + query_escape(args.id));
  if (!answer) return kExitFailure;
  if (args.json) {
    std::cout << nlohmann::json{{"id", args.id}, {"dropped", 1}}.dump(2) << "\n";
  } else {
    std::cout << "delivery " << args.id << " dropped\n";
  }
  return 0;
}

int run_purge(const QueueArgs& args) {
  std::string target = "/api/deliveries?tunnel=" + query_escape(args.tunnel);
  if (!args.state.empty()) target += "&state=" + query_escape(args.state);
  auto answer = call(args, "DELETE", target);
  if (!answer) return kExitFailure;
  if (args.json) {
    std::cout << answer->body.dump(2) << "\n";
  } else {
    const auto count = answer->body.is_object() ? answer->body.value("purged", 0) : 0;
    std::cout << "purged " << count << " deliver" << (count == 1 ? "y" : "ies") << " of tunnel "
              << args.tunnel << (args.state.empty() ? "" : " in state " + args.state) << "\n";
  }
  return 0;
}

void add_common(CLI::App& cmd, QueueArgs& args) {
  cmd.add_option("--inspect,--inspect-addr", args.inspect_addr, "The agent's inspector address")
      ->capture_default_str();
  cmd.add_flag("--json", args.json, "Print the inspector API's JSON instead of a table");
}

CLI::Validator state_validator() {
  return CLI::IsMember({"queued", "delivering", "delivered", "dead"});
}

}  // namespace

void add_queue_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<QueueArgs>();
  auto* queue = app.add_subcommand(
      "queue", "See and manage the durable delivery queue of the running agent's --buffer tunnels");
  queue->require_subcommand(1);

  auto* list = queue->add_subcommand("list", "List queued, delivered and dead-lettered webhooks");
  list->add_option("--state", args->state, "Only this state: queued, delivering, delivered, dead")
      ->check(state_validator());
  list->add_option("--tunnel", args->tunnel, "Only this tunnel (its name or public name)");
  list->add_option("--limit", args->limit, "At most this many, newest first (1-1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  add_common(*list, *args);
  list->callback([&ctx, args] {
    ctx.apply_logging();
    ctx.exit_code = run_list(*args);
  });

  auto* retry =
      queue->add_subcommand("retry", "Deliver a queued or dead-lettered webhook again now");
  retry->add_option("id", args->id, "The delivery's id (relay queue list)")->required();
  add_common(*retry, *args);
  retry->callback([&ctx, args] {
    ctx.apply_logging();
    ctx.exit_code = run_retry(*args);
  });

  auto* drop = queue->add_subcommand("drop", "Remove one webhook from the queue, undelivered");
  drop->add_option("id", args->id, "The delivery's id (relay queue list)")->required();
  add_common(*drop, *args);
  drop->callback([&ctx, args] {
    ctx.apply_logging();
    ctx.exit_code = run_drop(*args);
  });

  auto* purge = queue->add_subcommand(
      "purge", "Remove a tunnel's webhooks from the queue (all but those being delivered)");
  purge->add_option("--tunnel", args->tunnel, "The tunnel (its name or public name)")->required();
  purge->add_option("--state", args->state, "Only this state: queued, delivered, dead")
      ->check(state_validator());
  add_common(*purge, *args);
  purge->callback([&ctx, args] {
    ctx.apply_logging();
    ctx.exit_code = run_purge(*args);
  });
}

}  // namespace relay::cli
