#include "relay/core/heap.hpp"

#include <cstdlib>

#if defined(RELAY_WITH_MIMALLOC)
#include <mimalloc.h>
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

namespace relay::core {

std::string_view heap_allocator() {
#if defined(RELAY_WITH_MIMALLOC)
  // Linked is not enough: malloc is mimalloc's only if its library comes before libc in the
  // symbol lookup order. Ask where a fresh block lives.
  void* probe = std::malloc(1);  // NOLINT(cppcoreguidelines-no-malloc): malloc is the question
  const bool ours = mi_is_in_heap_region(probe);
  std::free(probe);  // NOLINT(cppcoreguidelines-no-malloc)
  return ours ? "mimalloc" : "libc";
#else
  return "libc";
#endif
}

void release_free_heap() noexcept {
#if defined(RELAY_WITH_MIMALLOC)
  mi_collect(true);
#elif defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace relay::core
