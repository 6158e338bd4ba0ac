#include "agent/tunnel_pipeline.hpp"

#include "agent/basic_auth_step.hpp"
#include "agent/capture_step.hpp"
#include "agent/forward_step.hpp"
#include "agent/tunnel_runtime.hpp"
#include "agent/verifier_factory.hpp"
#include "agent/verify_step.hpp"

namespace relay::agent {

std::shared_ptr<Pipeline> build_pipeline(const TunnelRuntime& tunnel,
                                         const PipelineInputs& inputs) {
  auto pipeline = std::make_shared<Pipeline>();
  const auto& options = tunnel.options;
  if (inputs.captures != nullptr) {
    pipeline->append(std::make_unique<CaptureStep>(*inputs.captures, inputs.capture_body_limit));
  }
  if (options.basic_auth) pipeline->append(std::make_unique<BasicAuthStep>(*options.basic_auth));
  if (options.verify_webhook) {
    pipeline->append(std::make_unique<VerifyStep>(make_verifier(*options.verify_webhook),
                                                  *options.verify_webhook,
                                                  inputs.limits.max_verified_body_bytes));
  }
  pipeline->append(std::make_unique<ForwardStep>(tunnel.pool, options, inputs.limits));
  return pipeline;
}

}  // namespace relay::agent
