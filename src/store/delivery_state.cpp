#include "relay/store/delivery_queue.hpp"

namespace relay::store {

std::string_view to_string(DeliveryState state) {
  switch (state) {
    case DeliveryState::queued:
      return "queued";
    case DeliveryState::delivering:
      return "delivering";
    case DeliveryState::delivered:
      return "delivered";
    case DeliveryState::dead:
      return "dead";
  }
  return "queued";
}

std::optional<DeliveryState> parse_delivery_state(std::string_view text) {
  if (text == "queued") return DeliveryState::queued;
  if (text == "delivering") return DeliveryState::delivering;
  if (text == "delivered") return DeliveryState::delivered;
  if (text == "dead") return DeliveryState::dead;
  return std::nullopt;
}

}  // namespace relay::store
