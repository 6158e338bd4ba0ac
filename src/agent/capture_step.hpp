#pragma once

#include <cstddef>
#include <string>

#include "agent/pipeline.hpp"
#include "relay/inspect/capture_store.hpp"

namespace relay::agent {

// The inspector's view of a tunnel's requests: first in the pipeline, it records the request
// (the list shows it in flight) and has the exchange's CapturingStream record into it, so body
// bytes are copied up to the capture limit as they pass; when the exchange is over it records the
// verdict, the response or relay's error, and the duration. One Capture per request, two store
// upserts (a copy while in flight, the working capture moved in at the end), no JSON on this path:
// only the final state goes to disk, encoded and batched on the store's writer thread; JSON is
// rendered only for an open inspector page.
class CaptureStep final : public Step {
 public:
  CaptureStep(inspect::CaptureStore& store, std::size_t body_limit)
      : store_(store), limit_(body_limit) {}

  boost::asio::awaitable<Outcome> run(Exchange& exchange) override;
  void finished(Exchange& exchange) override;

 private:
  inspect::CaptureStore& store_;
  std::size_t limit_;
};

}  // namespace relay::agent
