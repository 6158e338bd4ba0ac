#pragma once

#include <boost/system/error_code.hpp>

namespace relay::agent {

// Why Agent::run() gave up. Agent::last_error_message() holds the sentence for the user.
enum class AgentErrc {
  authentication_failed = 1,  // the edge refused the authtoken (401/403)
  name_taken,                 // a requested tunnel name is held by another session (409)
  rejected,                   // the edge refused the connect request (400): bad name, version
  certificate_refused,        // the edge's TLS certificate failed verification
  edge_unreachable,           // transient: DNS, TCP, TLS or the edge answered 5xx
  session_lost,               // transient: the HTTP/2 session ended
  invalid_options,            // a tunnel's options are unusable (bad upstream, unknown provider)
  not_online,                 // a runtime change needs a live session
};

const boost::system::error_category& agent_category();

inline boost::system::error_code make_error_code(AgentErrc e) {
  return {static_cast<int>(e), agent_category()};
}

}  // namespace relay::agent

template <>
struct boost::system::is_error_code_enum<relay::agent::AgentErrc> : std::true_type {};
