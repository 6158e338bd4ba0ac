#pragma once

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace relay::net::detail {

// nghttp2's allocator for one session (nghttp2_session_*_new3). nghttp2 allocates and frees
// a dozen small blocks per request (its stream, the frames queued, a reference-counted buffer
// per header field received) and glibc's malloc spends ~70 instructions on each; this keeps
// freed small blocks on per-size free lists and hands them out again.
// Not thread-safe: everything that touches a session runs on its executor.
class H2Allocator {
 public:
  H2Allocator();
  H2Allocator(const H2Allocator&) = delete;
  H2Allocator& operator=(const H2Allocator&) = delete;
  ~H2Allocator();

  // Give to nghttp2; valid while this allocator lives.
  nghttp2_mem* mem() { return &mem_; }
  // Returns every kept block to the heap (an idle session keeps none).
  void release();

  void* allocate(std::size_t size);
  void deallocate(void* ptr);
  void* reallocate(void* ptr, std::size_t size);

  // Blocks of these sizes (and below) come from the free lists; larger ones from the heap.
  static constexpr std::array<std::size_t, 5> kClassSizes{64, 128, 256, 512, 1024};
  // Free blocks kept per size: a busy session keeps at most ~63 KiB.
  static constexpr std::size_t kMaxKept = 32;

 private:
  // Before every block: which class it is (kLarge: from the heap) and its usable size.
  // 16 bytes, so that the block after it keeps malloc's alignment.
  struct alignas(16) Header {
    std::uint32_t size_class;
    std::uint64_t size;
  };
  struct FreeBlock {
    FreeBlock* next;
  };
  static constexpr std::uint32_t kLarge = 0xffffffff;

  static Header* header_of(void* ptr) { return static_cast<Header*>(ptr) - 1; }

  nghttp2_mem mem_{};
  std::array<FreeBlock*, kClassSizes.size()> free_{};
  std::array<std::size_t, kClassSizes.size()> kept_{};
};

}  // namespace relay::net::detail
