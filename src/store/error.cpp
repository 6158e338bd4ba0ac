#include "relay/store/error.hpp"

#include <string>

namespace relay::store {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "relay.store"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::unavailable:
        return "the edge's state database cannot be read or written";
      case Errc::full:
        return "the delivery queue is full (the tunnel's buffer_max, or the store's size limit)";
    }
    return "unknown store error";
  }
};

}  // namespace

const boost::system::error_category& store_category() {
  static const Category category;
  return category;
}

}  // namespace relay::store
