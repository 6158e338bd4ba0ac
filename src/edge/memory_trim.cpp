#include "edge/memory_trim.hpp"

#include "relay/core/heap.hpp"

namespace relay::edge {

// noexcept: called from destructors. Arming allocates a timer handler; should that ever fail,
// this burst goes untrimmed, which is harmless.
void MemoryTrimmer::connection_closed() noexcept {
  ++closes_;
  if (armed_) return;
  try {
    arm();
  } catch (...) {  // NOLINT(bugprone-empty-catch): see above
  }
}

void MemoryTrimmer::arm() {
  timer_.arm(kDelay, [this] {
    armed_ = false;
    if (closes_ < kMinCloses) return;
    closes_ = 0;
    core::release_free_heap();
  });
  armed_ = true;
}

}  // namespace relay::edge
