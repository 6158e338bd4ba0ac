#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace relay::cli {

// One answer of the running agent's inspector API.
// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json's members are not noexcept.
struct InspectorAnswer {
  int status = 0;
  nlohmann::json body;  // discarded (null) when the body is not JSON
  std::string text;     // the raw body
  // The API's error message ("msg"), or the raw body.
  [[nodiscard]] std::string message() const;
};

// A blocking request to the inspector at `addr` ("127.0.0.1:4040", "[::1]:4040", "4040") for
// the CLI commands that drive a running agent (`relay queue`). Throws
// boost::system::system_error when nothing answers there.
InspectorAnswer call_inspector(const std::string& addr, const std::string& method,
                               const std::string& target, const std::string& body,
                               std::chrono::seconds timeout);

// What the user is told when no agent answers at `addr`.
std::string no_inspector_message(const std::string& addr, const std::string& why);

}  // namespace relay::cli
