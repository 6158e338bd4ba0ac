#include "h2_allocator.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace relay::net::detail {

namespace {
H2Allocator& self(void* user) { return *static_cast<H2Allocator*>(user); }
}  // namespace

H2Allocator::H2Allocator() {
  mem_.mem_user_data = this;
  mem_.malloc = [](std::size_t size, void* user) { return self(user).allocate(size); };
  mem_.free = [](void* ptr, void* user) { self(user).deallocate(ptr); };
  mem_.calloc = [](std::size_t n, std::size_t size, void* user) -> void* {
    if (size != 0 && n > static_cast<std::size_t>(-1) / size) return nullptr;
    void* ptr = self(user).allocate(n * size);
    if (ptr != nullptr) std::memset(ptr, 0, n * size);
    return ptr;
  };
  mem_.realloc = [](void* ptr, std::size_t size, void* user) {
    return self(user).reallocate(ptr, size);
  };
}

H2Allocator::~H2Allocator() { release(); }

void H2Allocator::release() {
  for (std::size_t c = 0; c < free_.size(); ++c) {
    while (free_[c] != nullptr) {
      FreeBlock* block = free_[c];
      free_[c] = block->next;
      std::free(header_of(block));
    }
    kept_[c] = 0;
  }
}

void* H2Allocator::allocate(std::size_t size) {
  std::uint32_t c = 0;
  while (c < kClassSizes.size() && size > kClassSizes[c]) ++c;
  if (c < kClassSizes.size() && free_[c] != nullptr) {
    FreeBlock* block = free_[c];
    free_[c] = block->next;
    --kept_[c];
    return block;
  }
  const bool large = c == kClassSizes.size();
  const std::size_t usable = large ? size : kClassSizes[c];
  if (usable > static_cast<std::size_t>(-1) - sizeof(Header)) return nullptr;
  void* raw = std::malloc(sizeof(Header) + usable);
  if (raw == nullptr) return nullptr;
  auto* header = ::new (raw) Header{large ? kLarge : c, usable};
  return header + 1;
}

void H2Allocator::deallocate(void* ptr) {
  if (ptr == nullptr) return;
  Header* header = header_of(ptr);
  const std::uint32_t c = header->size_class;
  if (c == kLarge || kept_[c] >= kMaxKept) {
    std::free(header);
    return;
  }
  free_[c] = ::new (ptr) FreeBlock{free_[c]};
  ++kept_[c];
}

void* H2Allocator::reallocate(void* ptr, std::size_t size) {
  if (ptr == nullptr) return allocate(size);
  const std::size_t old_size = header_of(ptr)->size;
  if (size <= old_size && header_of(ptr)->size_class != kLarge) return ptr;  // still fits
  void* moved = allocate(size);
  if (moved == nullptr) return nullptr;  // like realloc: the old block stays valid
  std::memcpy(moved, ptr, old_size < size ? old_size : size);
  deallocate(ptr);
  return moved;
}

}  // namespace relay::net::detail
