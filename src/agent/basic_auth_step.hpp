#pragma once

#include "agent/pipeline.hpp"
#include "relay/agent/agent_options.hpp"

namespace relay::agent {

// A tunnel's `basic_auth: ["user:password"]`: a request without those credentials gets 401 and a
// WWW-Authenticate challenge, and never reaches the app. Credentials are compared in constant
// time, and the Authorization header is passed on untouched.
class BasicAuthStep final : public Step {
 public:
  explicit BasicAuthStep(const BasicAuth& credentials);

  boost::asio::awaitable<Outcome> run(Exchange& exchange) override;

 private:
  std::string expected_;  // "user:password"
};

}  // namespace relay::agent
