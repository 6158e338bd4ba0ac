#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "relay/core/headers.hpp"
#include "relay/core/result.hpp"
#include "relay/inspect/capture.hpp"

namespace relay::inspect {

// Changes a user asks for on "Replay with modifications". Unset fields keep the captured value.
struct ReplayModifications {
  std::optional<std::string> method;
  std::optional<std::string> path;                               // path and query
  std::optional<core::Headers> headers;                          // replaces every request header
  std::vector<std::pair<std::string, std::string>> set_headers;  // then set these (replace by name)
  std::vector<std::string> remove_headers;                       // then remove these
  std::optional<std::string> body;  // replaces the body (allowed for truncated captures)
  // Sign the (modified) request again with the tunnel's verifier at the current time, replacing
  // the provider's signature headers, so it verifies (Verifier::sign()).
  bool resign = false;
  std::string tunnel;  // deliver through this tunnel; empty: the capture's own
};

// The request a replay sends, with the modifications applied (a pure function, used by the
// agent's Replayer and unit-tested here). Content-Length is dropped when the body changed: the
// pipeline sets it. Refuses (capture_truncated) a truncated capture whose body is not replaced.
struct ReplayRequest {
  std::string tunnel;
  std::string method;
  std::string url;  // path and query
  core::Headers headers;
  std::string body;
  bool resign = false;
};
core::Result<ReplayRequest> apply_modifications(const Capture& capture,
                                                const ReplayModifications& mods);

// Empty when the modifications can be sent as HTTP; otherwise what is wrong, for the user: the
// method must be a token (RFC 9110 §9.1), the path free of spaces and control characters, header
// names tokens and values free of CR, LF and NUL. Without this a path such as
// "/a HTTP/1.1\r\nX-Inj: 1\r\n\r\nGET /smuggled" reached the app as a header and a second
// request. apply_modifications refuses (invalid_modifications) what this flags.
std::string modifications_error(const ReplayModifications& mods);

// Implemented by the agent (a consumer-side interface: inspect may not include agent). A replay
// runs through the same pipeline as a request from the edge, verification included, and is
// captured with replay = true and replay_of = the original's id.
class Replayer {
 public:
  virtual ~Replayer() = default;

  // Runs on the agent's io thread. Completes when the replayed request got its response (or
  // failed) and its capture is in the store; returns the new capture's id. Fails with an Errc
  // (tunnel_not_found, capture_truncated, resign_unavailable, unavailable) before sending.
  virtual boost::asio::awaitable<core::Result<std::string>> replay(
      const Capture& original, const ReplayModifications& mods) = 0;
};

}  // namespace relay::inspect
