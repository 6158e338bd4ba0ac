#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::edge::acme {

// The JSON objects an ACME server sends (RFC 8555 §7.1), reduced to what relay uses. Every
// parser takes untrusted text and answers nullopt for anything malformed (fuzzed in
// tests/fuzz/acme_messages_fuzz.cpp).

struct Directory {
  std::string new_nonce;
  std::string new_account;
  std::string new_order;
};

struct Order {
  std::string status;  // pending, ready, processing, valid, invalid
  std::vector<std::string> authorizations;
  std::string finalize;
  std::string certificate;  // once valid
};

struct Challenge {
  std::string type;  // http-01, tls-alpn-01, dns-01
  std::string url;
  std::string token;
  std::string status;
};

struct Authorization {
  std::string status;      // pending, valid, invalid, ...
  std::string identifier;  // the DNS name
  std::vector<Challenge> challenges;
};

// An error document (RFC 7807, §6.7): "urn:ietf:params:acme:error:badNonce" and its detail.
struct Problem {
  std::string type;
  std::string detail;
};

std::optional<Directory> parse_directory(std::string_view body);
std::optional<Order> parse_order(std::string_view body);
std::optional<Authorization> parse_authorization(std::string_view body);
std::optional<Problem> parse_problem(std::string_view body);

struct HttpsUrl {
  std::string host;
  std::string port = "443";
  std::string target = "/";
};
// Only https:// URLs: the CA's directory names every other URL, and none may be plain HTTP.
std::optional<HttpsUrl> parse_https_url(std::string_view url);

}  // namespace relay::edge::acme
