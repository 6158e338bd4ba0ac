#include "relay/verify/registry.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "relay/verify/error.hpp"
#include "relay/verify/secret.hpp"

namespace relay::verify {
namespace {

core::Fallible<VerifierPtr> null_factory(std::string_view, const VerifierOptions&) {
  return core::Failure{.code = VerifyErrc::invalid_option, .message = "null factory"};
}

TEST(Registry, RejectsDuplicateNames) {
  Registry r;
  r.add({{.name = "acme"}, &null_factory});
  EXPECT_THROW(r.add({{.name = "acme"}, &null_factory}), std::logic_error);
}

TEST(Registry, BuiltinHasFirstProvidersAndSortedUniqueNames) {
  const auto& r = builtin_registry();
  for (const auto* name : {"tiktok", "zoom", "tokportal", "hmac", "github", "stripe", "svix"}) {
    EXPECT_TRUE(r.contains(name)) << name;
  }
  const auto list = r.providers();
  EXPECT_GE(list.size(), 60u);
  for (std::size_t i = 1; i < list.size(); ++i) EXPECT_LT(list[i - 1].name, list[i].name);
  EXPECT_EQ(r.find("zoom")->handshake.empty(), false);
  EXPECT_EQ(r.find("tiktok")->default_tolerance, std::chrono::seconds{180});
}

TEST(Registry, UnknownProviderListsKnownOnes) {
  const auto result = builtin_registry().create("acme", {.secret = "s"});
  ASSERT_FALSE(result);
  const auto& error = result.error().message;
  EXPECT_NE(error.find("unknown webhook provider 'acme'"), std::string::npos);
  EXPECT_NE(error.find("tiktok"), std::string::npos);
  EXPECT_EQ(result.error().code, VerifyErrc::unknown_provider);
}

TEST(Registry, MissingSecretIsAnErrorThatNamesTheFlag) {
  const auto result = builtin_registry().create("tiktok", {});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("--verify-webhook-secret"), std::string::npos);
  EXPECT_EQ(result.error().code, VerifyErrc::missing_secret);
}

TEST(Registry, BadKeysAndOptionsAreRejectedAtCreation) {
  // The failure's message for the user, "" when the verifier was created.
  const auto failure = [](std::string_view provider, const VerifierOptions& options) {
    auto created = builtin_registry().create(provider, options);
    return created ? std::string{} : created.error().message;
  };
  const auto bad_key = builtin_registry().create("discord", {.secret = "not hex"});
  ASSERT_FALSE(bad_key);
  EXPECT_NE(bad_key.error().message.find("PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(bad_key.error().code, VerifyErrc::invalid_secret);
  EXPECT_NE(failure("sendgrid", {.secret = "AAAA"}), "");
  EXPECT_NE(failure("plaid", {.secret = "{}"}), "");
  EXPECT_NE(failure("svix", {.secret = "whsec_!!"}), "");
  VerifierOptions generic{.secret = "s", .params = {{"header", "X-Sig"}, {"algorithm", "md5"}}};
  EXPECT_NE(failure("hmac", generic).find("sha1, sha256, sha512"), std::string::npos);
  EXPECT_EQ(builtin_registry().create("hmac", generic).error().code, VerifyErrc::invalid_option);
  generic.params = {{"heder", "X"}};
  EXPECT_NE(failure("hmac", generic).find("unknown option 'heder'"), std::string::npos);
}

TEST(Secret, LiteralEnvAndFile) {
  // The refusal's sentence ("" when it resolved).
  auto refusal = [](std::string_view spec) {
    auto secret = resolve_secret(spec);
    EXPECT_FALSE(secret.has_value()) << spec;
    return secret ? std::string() : secret.error().message;
  };
  EXPECT_EQ(resolve_secret("plain").value(), "plain");
  ::setenv("RELAY_VERIFY_TEST_SECRET", "from-env", 1);
  EXPECT_EQ(resolve_secret("env:RELAY_VERIFY_TEST_SECRET").value(), "from-env");
  EXPECT_NE(refusal("env:RELAY_VERIFY_TEST_UNSET").find("RELAY_VERIFY_TEST_UNSET is not set"),
            std::string::npos);
  const auto path = ::testing::TempDir() + "relay_secret_test";
  std::ofstream{path} << "from-file\n";
  EXPECT_EQ(resolve_secret("file:" + path).value(), "from-file");
  EXPECT_THROW(resolve_secret_or_throw("file:/nonexistent/relay"), std::runtime_error);
  // An empty secret is never a provider's key: a clear error, not an HMAC keyed by "".
  ::setenv("RELAY_VERIFY_TEST_EMPTY", "", 1);
  EXPECT_NE(refusal("env:RELAY_VERIFY_TEST_EMPTY").find("RELAY_VERIFY_TEST_EMPTY is empty"),
            std::string::npos);
  std::ofstream{path, std::ios::trunc} << "\n";
  EXPECT_NE(refusal("file:" + path).find("is empty"), std::string::npos);
}

}  // namespace
}  // namespace relay::verify
