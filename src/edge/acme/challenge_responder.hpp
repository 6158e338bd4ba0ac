#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace relay::edge::acme {

// HTTP-01 (RFC 8555 §8.3): while an order waits for validation, the CA fetches
// http://HOST/.well-known/acme-challenge/TOKEN and must get the key authorization. The public
// HTTP listener asks this before routing (public_connection.cpp); only tokens of the edge's own
// orders in progress are known, so nothing else under that path is answered here.
class ChallengeResponder {
 public:
  void add(const std::string& token, std::string key_authorization);
  void remove(const std::string& token);
  // The full HTTP/1.1 response for a request target that is a known challenge, or "".
  [[nodiscard]] std::string response_for(std::string_view target, bool keep_alive) const;
  [[nodiscard]] bool empty() const { return tokens_.empty(); }

 private:
  std::map<std::string, std::string, std::less<>> tokens_;  // token → key authorization
};

}  // namespace relay::edge::acme
