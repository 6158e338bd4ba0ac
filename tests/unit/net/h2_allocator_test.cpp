#include "net/h2_allocator.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace relay::net::detail {
namespace {

bool aligned(void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t) == 0;
}

TEST(H2Allocator, AFreedSmallBlockIsHandedOutAgainForItsSize) {
  H2Allocator a;
  void* p = a.allocate(100);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(aligned(p));
  std::memset(p, 0xab, 100);
  a.deallocate(p);
  void* same_class = a.allocate(128);
  EXPECT_EQ(same_class, p);  // the same size class
  void* other = a.allocate(100);
  EXPECT_NE(other, p);  // taken: a new one
  a.deallocate(other);
  a.deallocate(same_class);
  void* large = a.allocate(64 * 1024);  // past the classes: from the heap
  ASSERT_NE(large, nullptr);
  EXPECT_TRUE(aligned(large));
  std::memset(large, 1, 64 * 1024);
  a.deallocate(large);
  a.deallocate(nullptr);
}

TEST(H2Allocator, KeepsABoundedNumberOfFreeBlocks) {
  H2Allocator a;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < 2 * H2Allocator::kMaxKept; ++i) blocks.push_back(a.allocate(40));
  for (void* p : blocks) a.deallocate(p);
  // Only the first kMaxKept freed are kept; allocating more than that gives new blocks.
  std::vector<void*> again;
  for (std::size_t i = 0; i < 2 * H2Allocator::kMaxKept; ++i) again.push_back(a.allocate(40));
  std::size_t reused = 0;
  for (void* p : again) {
    for (std::size_t i = 0; i < H2Allocator::kMaxKept; ++i) reused += p == blocks[i] ? 1 : 0;
  }
  EXPECT_EQ(reused, H2Allocator::kMaxKept);
  for (void* p : again) a.deallocate(p);
  a.release();
  void* after = a.allocate(40);  // usable after release
  EXPECT_NE(after, nullptr);
  a.deallocate(after);
}

TEST(H2Allocator, CallocZeroesAndReallocKeepsTheContent) {
  H2Allocator a;
  nghttp2_mem* mem = a.mem();
  auto* z = static_cast<unsigned char*>(mem->calloc(10, 30, mem->mem_user_data));
  ASSERT_NE(z, nullptr);
  for (int i = 0; i < 300; ++i) ASSERT_EQ(z[i], 0);
  EXPECT_EQ(mem->calloc(static_cast<std::size_t>(-1) / 2, 4, mem->mem_user_data), nullptr);
  for (int i = 0; i < 300; ++i) z[i] = static_cast<unsigned char>(i);
  // Grows through every class and past them, shrinks back: the bytes survive each move.
  void* p = z;
  for (std::size_t size : {400, 700, 5000, 300, 20}) {
    p = mem->realloc(p, size, mem->mem_user_data);
    ASSERT_NE(p, nullptr);
    for (std::size_t i = 0; i < std::min<std::size_t>(size, 300); ++i)
      ASSERT_EQ(static_cast<unsigned char*>(p)[i], static_cast<unsigned char>(i)) << size;
  }
  mem->free(p, mem->mem_user_data);
  void* fresh = mem->realloc(nullptr, 50, mem->mem_user_data);
  ASSERT_NE(fresh, nullptr);
  mem->free(fresh, mem->mem_user_data);
}

}  // namespace
}  // namespace relay::net::detail
