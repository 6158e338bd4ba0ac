// The agent's connect request: JSON body through check_connect and, when accepted, the name
// claims of the session registry (validation, reservations, random names).
#include <chrono>

#include "edge/connect_check.hpp"
#include "edge/session_registry.hpp"
#include "relay/store/store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace relay::edge;
  static const AuthTokens tokens({make_auth_token("fuzz-token")});
  std::string_view body(reinterpret_cast<const char*>(data), size);
  ConnectHead head{"POST", "/_relay/v1/connect", "Bearer fuzz-token", "relay-h2"};
  auto checked = check_connect(head, body, tokens, false);
  if (!checked) return 0;
  const auto* accepted = &*checked;
  const auto store = relay::store::make_memory_store();  // one per input: no owners carried over
  SessionRegistry registry(tokens.all(), std::chrono::seconds(60), 64, 16, store->names());
  NameGenerator names;
  auto now = std::chrono::steady_clock::now();
  auto first = registry.open({accepted->token, accepted->request.tunnels, accepted->request.resume},
                             now, names);
  if (first) {
    const auto* grant = &*first;
    registry.detach(grant->session_id, nullptr, now);
    (void)registry.open({accepted->token, accepted->request.tunnels, grant->session_id}, now,
                        names);
  }
  return 0;
}
