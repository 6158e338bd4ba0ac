#pragma once

#include <memory>

#include "relay/store/delivery_queue.hpp"

namespace relay::store::detail {

// The queue and policies of make_memory_store(): what the embedded edge (`relay http` without
// --edge) and tests without --state-dir use. Same contract as the SQLite store, nothing
// survives the process.
std::unique_ptr<DeliveryQueue> make_memory_delivery_queue();
std::unique_ptr<PolicyStore> make_memory_policy_store();

}  // namespace relay::store::detail
