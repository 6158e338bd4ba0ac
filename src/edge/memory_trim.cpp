#include "edge/memory_trim.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace relay::edge {

void MemoryTrimmer::connection_closed() {
  ++closes_;
  if (armed_) return;
  armed_ = true;
  timer_.arm(kDelay, [this] {
    armed_ = false;
    if (closes_ < kMinCloses) return;
    closes_ = 0;
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
  });
}

}  // namespace relay::edge
