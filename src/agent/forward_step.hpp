#pragma once

#include <memory>

#include "agent/pipeline.hpp"
#include "agent/upstream_pool.hpp"
#include "relay/agent/agent_options.hpp"

namespace relay::agent {

// One HTTP/2 stream → one HTTP/1.1 exchange with the app: the request head and body go up
// (the head and the first body bytes in one write), the response head and body come back,
// each direction under backpressure (a slow app slows the edge's reads, and the caller's
// upload). Failures before the response began become 502/504 pages that say what to check.
class ForwardStep final : public Step {
 public:
  ForwardStep(std::shared_ptr<UpstreamPool> pool, const TunnelOptions& options, AgentLimits limits)
      : pool_(std::move(pool)), options_(options), limits_(limits) {}

  boost::asio::awaitable<Outcome> run(Exchange& exchange) override;

 private:
  std::shared_ptr<UpstreamPool> pool_;
  const TunnelOptions& options_;  // owned by the TunnelRuntime that owns this step
  AgentLimits limits_;
};

}  // namespace relay::agent
