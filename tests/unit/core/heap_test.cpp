#include "relay/core/heap.hpp"

#include <cstdlib>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace relay::core {
namespace {

// The build links mimalloc when it finds it; this checks that malloc (and so new, and every
// library's allocations) really went to it, not only that the library was linked.
TEST(HeapTest, MallocIsTheAllocatorTheBuildChose) {
  EXPECT_EQ(heap_allocator(), RELAY_EXPECTED_ALLOCATOR);
}

TEST(HeapTest, ReleasingFreeHeapKeepsLiveBlocksIntact) {
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 256; ++i) {
    blocks.push_back(std::make_unique<char[]>(64 * 1024));
    blocks.back()[0] = static_cast<char>(i);
  }
  for (std::size_t i = 0; i < blocks.size(); i += 2) blocks[i].reset();
  release_free_heap();
  for (std::size_t i = 1; i < blocks.size(); i += 2) {
    EXPECT_EQ(blocks[i][0], static_cast<char>(i));
  }
}

}  // namespace
}  // namespace relay::core
