#pragma once

#include <cstddef>
#include <memory>

#include "agent/pipeline.hpp"
#include "relay/agent/agent_options.hpp"
#include "relay/inspect/capture_store.hpp"

namespace relay::agent {

struct TunnelRuntime;

// What a tunnel's steps need beyond the tunnel's own options.
struct PipelineInputs {
  AgentLimits limits;
  inspect::CaptureStore* captures = nullptr;  // null: the inspector is off, nothing is captured
  std::size_t capture_body_limit = 0;
};

// The one place a tunnel's pipeline is put together, in the order DESIGN.md gives: capture
// (inspector on) → basic auth (basic_auth set) → handshakes and verification (verify_webhook
// set) → forward to the app. The steps keep references into `tunnel` (its options, its upstream
// pool), which owns the pipeline. Throws std::runtime_error when the tunnel's verifier cannot be
// made (unknown provider, missing secret), as make_verifier does.
std::shared_ptr<Pipeline> build_pipeline(const TunnelRuntime& tunnel, const PipelineInputs& inputs);

}  // namespace relay::agent
