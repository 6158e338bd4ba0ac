#include "relay/verify/error.hpp"

#include <string>

namespace relay::verify {
namespace {

class VerifyCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "relay.verify"; }
  std::string message(int ev) const override {
    switch (static_cast<VerifyErrc>(ev)) {
      case VerifyErrc::unknown_provider:
        return "unknown webhook provider (run 'relay providers' for the list)";
      case VerifyErrc::missing_secret:
        return "this provider needs a secret (--verify-webhook-secret)";
      case VerifyErrc::invalid_secret:
        return "the webhook secret or key is not in the expected form";
      case VerifyErrc::invalid_option:
        return "invalid webhook verification option";
      case VerifyErrc::secret_unavailable:
        return "the webhook secret could not be read";
    }
    return "unknown relay.verify error";
  }
};

}  // namespace

const boost::system::error_category& verify_category() {
  static const VerifyCategory category;
  return category;
}

}  // namespace relay::verify
