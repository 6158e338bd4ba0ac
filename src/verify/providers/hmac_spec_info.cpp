#include "verify/handshakes.hpp"
#include "verify/providers/provider_entry.hpp"

namespace relay::verify::providers {
namespace {

std::string_view algorithm_name(HashAlgorithm a) {
  switch (a) {
    case HashAlgorithm::sha1:
      return "HMAC-SHA1";
    case HashAlgorithm::sha256:
      return "HMAC-SHA256";
    case HashAlgorithm::sha512:
      return "HMAC-SHA512";
  }
  return "HMAC";
}

}  // namespace

ProviderInfo describe_hmac_spec(const HmacSpec& spec) {
  ProviderInfo info;
  info.name = std::string{spec.name};
  info.headers = std::string{spec.header} + (spec.numbered_headers ? "1..N" : "");
  if (!spec.timestamp_header.empty()) info.headers += ", " + std::string{spec.timestamp_header};
  if (!spec.id_header.empty()) info.headers += ", " + std::string{spec.id_header};
  if (spec.unbranded != nullptr) {
    info.headers += " (or " + std::string{spec.unbranded->header} + ", " +
                    std::string{spec.unbranded->timestamp_header} + ", " +
                    std::string{spec.unbranded->id_header} + ")";
  }
  info.algorithm = std::string{algorithm_name(spec.algorithm)} + "(" +
                   std::string{spec.signed_template} + ") " +
                   (spec.encoding == Encoding::hex ? "hex" : "base64");
  if (spec.secret_format == SecretFormat::svix) info.algorithm += ", whsec_ key";
  info.handshake = std::string{detail::describe(spec.handshake)};
  info.default_tolerance =
      spec.timestamp_format == TimestampFormat::none ? std::chrono::seconds{0} : spec.tolerance;
  info.needs_secret = true;
  return info;
}

}  // namespace relay::verify::providers
