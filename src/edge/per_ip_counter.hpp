#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <utility>

#include <boost/asio/ip/address.hpp>

namespace relay::edge {

// How many of something (open connections, requests in flight, pending TLS handshakes) each
// client address holds, with a cap per address and an optional cap for all together. Pure
// bookkeeping, on the io thread. An address leaves the table when its count drops to 0, so
// memory is bounded by what is held, not by how many addresses were ever seen.
class PerIpCounter {
 public:
  // 0: no cap.
  PerIpCounter(std::size_t per_ip, std::size_t total) : per_ip_(per_ip), total_limit_(total) {}
  PerIpCounter(const PerIpCounter&) = delete;
  PerIpCounter& operator=(const PerIpCounter&) = delete;

  // One unit held by an address until the Slot is destroyed (or reset()).
  class Slot {
   public:
    Slot() = default;
    Slot(PerIpCounter* owner, boost::asio::ip::address address)
        : owner_(owner), address_(std::move(address)) {}
    Slot(Slot&& other) noexcept : owner_(other.owner_), address_(std::move(other.address_)) {
      other.owner_ = nullptr;
    }
    Slot& operator=(Slot&& other) noexcept {
      if (this != &other) {
        reset();
        owner_ = other.owner_;
        address_ = other.address_;
        other.owner_ = nullptr;
      }
      return *this;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { reset(); }
    void reset() {
      if (owner_ != nullptr) owner_->release(address_);
      owner_ = nullptr;
    }

   private:
    PerIpCounter* owner_ = nullptr;
    boost::asio::ip::address address_;
  };

  // A slot, or nullopt when the address (or everyone together) is at its cap.
  std::optional<Slot> try_acquire(const boost::asio::ip::address& address);

  [[nodiscard]] std::size_t count(const boost::asio::ip::address& address) const;
  [[nodiscard]] std::size_t total() const { return total_; }
  [[nodiscard]] std::size_t addresses() const { return counts_.size(); }

 private:
  void release(const boost::asio::ip::address& address);

  std::size_t per_ip_;
  std::size_t total_limit_;
  std::size_t total_ = 0;
  std::map<boost::asio::ip::address, std::size_t> counts_;
};

}  // namespace relay::edge
