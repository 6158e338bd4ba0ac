#include "relay/verify/secret.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "relay/verify/error.hpp"

namespace relay::verify {

core::Fallible<std::string> resolve_secret(std::string_view spec) {
  if (spec.starts_with("env:")) {
    const std::string name{spec.substr(4)};
    const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
    if (value == nullptr) {
      return core::Failure{.code = VerifyErrc::secret_unavailable,
                           .message = "secret 'env:" + name + "': environment variable " + name +
                                      " is not set; export it or pass the secret another way"};
    }
    if (*value == '\0') {
      return core::Failure{.code = VerifyErrc::secret_unavailable,
                           .message = "secret 'env:" + name + "': environment variable " + name +
                                      " is empty; set it to the provider's signing secret"};
    }
    return std::string{value};
  }
  if (spec.starts_with("file:")) {
    const std::string path{spec.substr(5)};
    std::ifstream in{path, std::ios::binary};
    if (!in) {
      return core::Failure{.code = VerifyErrc::secret_unavailable,
                           .message = "secret 'file:" + path + "': cannot read " + path +
                                      "; check the path and its permissions"};
    }
    // Bounded: a secret or public key is a few KiB at most, and file:/dev/zero must not grow
    // the process without limit.
    constexpr std::size_t kMaxSecretBytes = 64 * 1024;
    std::string value(kMaxSecretBytes + 1, '\0');
    in.read(value.data(), static_cast<std::streamsize>(value.size()));
    value.resize(static_cast<std::size_t>(in.gcount()));
    if (value.size() > kMaxSecretBytes) {
      return core::Failure{
          .code = VerifyErrc::secret_unavailable,
          .message =
              "secret 'file:" + path + "': " + path +
              " is larger than 64 KiB; it should hold only the signing secret or public key"};
    }
    // Files written by editors and `echo` end with a newline that is not part of the secret.
    if (value.ends_with("\r\n")) {
      value.resize(value.size() - 2);
    } else if (value.ends_with('\n')) {
      value.pop_back();
    }
    if (value.empty()) {
      return core::Failure{.code = VerifyErrc::secret_unavailable,
                           .message = "secret 'file:" + path + "': " + path +
                                      " is empty; write the provider's signing secret into it"};
    }
    return value;
  }
  return std::string{spec};
}

std::string resolve_secret_or_throw(std::string_view spec) {
  auto result = resolve_secret(spec);
  if (!result) throw std::runtime_error(result.error().message);
  return std::move(*result);
}

}  // namespace relay::verify
