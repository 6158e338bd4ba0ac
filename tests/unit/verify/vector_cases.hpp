#pragma once

// Loads signature vector files (shared: ../shared/vectors, project: tests/vectors) and runs one
// case through a verifier built by the builtin registry.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relay/core/headers.hpp"
#include "relay/verify/registry.hpp"

namespace relay::verify::testing {

inline std::vector<std::filesystem::path> vector_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".json" && e.path().stem() != "handshakes") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline nlohmann::json load_json(const std::filesystem::path& file) {
  std::ifstream in{file};
  return nlohmann::json::parse(in);
}

inline core::Headers headers_of(const nlohmann::json& j) {
  core::Headers h;
  for (const auto& [k, v] : j.items()) h.add(k, v.get<std::string>());
  return h;
}

inline VerifierOptions options_of(const nlohmann::json& c) {
  VerifierOptions options;
  options.secret = c.at("secret").get<std::string>();
  if (c.contains("config")) {
    for (const auto& [k, v] : c["config"].items()) {
      if (k == "tolerance") {
        options.tolerance = std::chrono::seconds{v.get<int>()};
      } else {
        options.params[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
  }
  return options;
}

// "" when the case passes, else what went wrong.
inline std::string run_case(const nlohmann::json& c) {
  const auto provider = c.at("provider").get<std::string>();
  auto created = builtin_registry().create(provider, options_of(c));
  if (!created) return "cannot create verifier: " + created.error().message;
  const auto& verifier = *created;
  const auto headers = headers_of(c.at("headers"));
  const auto body = c.at("body").get<std::string>();
  const auto url = c.value("url", std::string{"https://relay.example.com/"});
  const auto method = c.value("method", std::string{"POST"});
  const core::RequestView request{method, url, headers, body};
  const auto verdict =
      verifier->verify(request, core::from_unix_seconds(c.at("now_unix").get<std::int64_t>()));
  const bool want = c.at("expect") == "accept";
  if (verdict.ok() == want) return "";
  return "expected " + c.at("expect").get<std::string>() + ", got " +
         std::string{to_string(verdict.code)} + ": " + verdict.reason;
}

}  // namespace relay::verify::testing
