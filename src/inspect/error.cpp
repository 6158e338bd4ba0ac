#include "relay/inspect/error.hpp"

#include <string>

namespace relay::inspect {
namespace {

class InspectCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "relay.inspect"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::capture_not_found:
        return "no captured request has that id (it may have been cleared or dropped as the "
               "oldest); list them with GET /api/requests/http";
      case Errc::tunnel_not_found:
        return "no tunnel has that name; list them with GET /api/tunnels";
      case Errc::tunnel_exists:
        return "a tunnel with that name is already running; pick another name or DELETE it first";
      case Errc::invalid_tunnel:
        return "the tunnel definition is invalid: give a name (letters, digits, '-'), "
               "proto \"http\" and an addr such as \"3000\" or \"localhost:3000\"";
      case Errc::capture_truncated:
        return "the captured body was truncated at the capture limit, so replaying it would send "
               "a different body; replay with a replacement body, or raise the capture limit";
      case Errc::capture_incomplete:
        return "the request is still in flight; replay it once its response has been captured";
      case Errc::resign_unavailable:
        return "relay cannot re-sign for this tunnel: it has no webhook secret, or its provider "
               "signs with a private key relay does not hold; replay without re-signing";
      case Errc::replay_failed:
        return "the replay could not be delivered through the tunnel's pipeline";
      case Errc::unavailable:
        return "the agent is not ready (shutting down or not connected); retry in a moment";
      case Errc::invalid_modifications:
        return "the replay's method, path or a header cannot be sent as HTTP (a control "
               "character, a space in the path, or a method or header name that is not a token)";
      case Errc::no_session:
        return "the agent has no session with the edge, which holds the delivery queue; wait "
               "until it is online (GET /api/status) and retry";
      case Errc::edge_timeout:
        return "the edge did not answer the queue request within 5 s; it may be busy or too old "
               "to know durable delivery; retry, or upgrade the edge";
      case Errc::delivery_not_found:
        return "no delivery of this agent's tunnels has that id; list them with GET "
               "/api/deliveries";
      case Errc::invalid_delivery_request:
        return "the queue request is invalid: state is one of queued, delivering, delivered, "
               "dead; limit is 1-1000; purge needs a tunnel";
      case Errc::queue_unavailable:
        return "the edge's delivery queue is unavailable (its store failed); see the edge's log";
    }
    return "unknown inspector error";
  }
};

}  // namespace

const boost::system::error_category& inspect_category() {
  static const InspectCategory category;
  return category;
}

int http_status(const boost::system::error_code& ec) {
  if (ec.category() != inspect_category()) return 502;
  switch (static_cast<Errc>(ec.value())) {
    case Errc::capture_not_found:
    case Errc::tunnel_not_found:
      return 404;
    case Errc::tunnel_exists:
    case Errc::capture_truncated:
    case Errc::capture_incomplete:
      return 409;
    case Errc::invalid_tunnel:
    case Errc::invalid_modifications:
      return 400;
    case Errc::resign_unavailable:
      return 422;
    case Errc::replay_failed:
      return 502;
    case Errc::unavailable:
    case Errc::no_session:
    case Errc::queue_unavailable:
      return 503;
    case Errc::edge_timeout:
      return 504;
    case Errc::delivery_not_found:
      return 404;
    case Errc::invalid_delivery_request:
      return 400;
  }
  return 500;
}

}  // namespace relay::inspect
