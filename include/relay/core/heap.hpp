#pragma once

#include <string_view>

namespace relay::core {

// The process allocator. relay links mimalloc when the build finds it (cmake/dependencies.cmake):
// it replaces malloc/free for every library in the process and costs a tenth of the agent's
// instructions per request less than glibc's (bench/README.md). Sanitized builds keep glibc's,
// which ASan replaces.
// "mimalloc" when malloc is mimalloc's, else "libc".
[[nodiscard]] std::string_view heap_allocator();

// Gives free heap pages back to the system now, after a burst of closes or a cleared capture
// ring: glibc keeps them for reuse (malloc_trim), mimalloc after a delay (mi_collect).
void release_free_heap() noexcept;

}  // namespace relay::core
