#include "edge/acme/acme_messages.hpp"

#include <nlohmann/json.hpp>

namespace relay::edge::acme {

namespace {

using Json = nlohmann::json;

std::optional<Json> parse_object(std::string_view body) {
  auto json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

// A string member, or "" when absent or of another type.
std::string text(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::optional<Directory> parse_directory(std::string_view body) {
  auto json = parse_object(body);
  if (!json) return std::nullopt;
  Directory d{text(*json, "newNonce"), text(*json, "newAccount"), text(*json, "newOrder")};
  if (d.new_nonce.empty() || d.new_account.empty() || d.new_order.empty()) return std::nullopt;
  return d;
}

std::optional<Order> parse_order(std::string_view body) {
  auto json = parse_object(body);
  if (!json) return std::nullopt;
  Order o{text(*json, "status"), {}, text(*json, "finalize"), text(*json, "certificate")};
  if (o.status.empty()) return std::nullopt;
  if (auto it = json->find("authorizations"); it != json->end() && it->is_array()) {
    for (const auto& a : *it) {
      if (a.is_string()) o.authorizations.push_back(a.get<std::string>());
    }
  }
  return o;
}

std::optional<Authorization> parse_authorization(std::string_view body) {
  auto json = parse_object(body);
  if (!json) return std::nullopt;
  Authorization a{text(*json, "status"), {}, {}};
  if (auto it = json->find("identifier"); it != json->end() && it->is_object()) {
    a.identifier = text(*it, "value");
  }
  if (auto it = json->find("challenges"); it != json->end() && it->is_array()) {
    for (const auto& c : *it) {
      if (!c.is_object()) continue;
      a.challenges.push_back(
          {text(c, "type"), text(c, "url"), text(c, "token"), text(c, "status")});
    }
  }
  if (a.status.empty()) return std::nullopt;
  return a;
}

std::optional<Problem> parse_problem(std::string_view body) {
  auto json = parse_object(body);
  if (!json) return std::nullopt;
  return Problem{text(*json, "type"), text(*json, "detail")};
}

std::optional<HttpsUrl> parse_https_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() <= kScheme.size() || url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  HttpsUrl out;
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  if (authority.front() == '[') {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':') return std::nullopt;
      out.port = std::string(authority.substr(1));
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty() || out.port.empty() || out.port.size() > 5) return std::nullopt;
  for (char c : out.port) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  return out;
}

}  // namespace relay::edge::acme
