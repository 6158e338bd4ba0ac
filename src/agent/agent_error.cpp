#include "relay/agent/agent_error.hpp"

#include <string>

namespace relay::agent {

namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "relay.agent"; }
  std::string message(int ev) const override {
    switch (static_cast<AgentErrc>(ev)) {
      case AgentErrc::authentication_failed:
        return "authentication failed";
      case AgentErrc::name_taken:
        return "tunnel name already in use";
      case AgentErrc::rejected:
        return "the edge rejected the connect request";
      case AgentErrc::certificate_refused:
        return "the edge's TLS certificate was refused";
      case AgentErrc::edge_unreachable:
        return "edge unreachable";
      case AgentErrc::session_lost:
        return "session lost";
      case AgentErrc::invalid_options:
        return "invalid tunnel options";
      case AgentErrc::not_online:
        return "no session with the edge";
    }
    return "agent error";
  }
};

}  // namespace

const boost::system::error_category& agent_category() {
  static const Category category;
  return category;
}

}  // namespace relay::agent
