#include "relay/net/error.hpp"

#include <string>

namespace relay::net {

namespace {
class NetCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "relay.net"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::stream_reset: return "the stream was reset by the peer";
      case Errc::session_closed: return "the tunnel connection closed";
      case Errc::ping_timeout: return "the peer stopped answering PINGs";
      case Errc::protocol_error: return "HTTP/2 protocol error";
      case Errc::refused: return "the tunnel connection is shutting down";
      case Errc::too_many_streams: return "too many concurrent streams";
      case Errc::goaway: return "the HTTP/2 session was ended by a GOAWAY (see the warning above)";
    }
    return "unknown relay.net error";
  }
};
}  // namespace

const boost::system::error_category& net_category() {
  static const NetCategory category;
  return category;
}

}  // namespace relay::net
