#include "relay/verify/registry.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "relay/verify/error.hpp"
#include "relay/verify/secret.hpp"

namespace relay::verify {
namespace {

core::Result<VerifierPtr> null_factory(std::string_view, const VerifierOptions&, std::string&) {
  return VerifyErrc::invalid_option;
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
  std::string error;
  EXPECT_EQ(builtin_registry().create("acme", {.secret = "s"}, error), nullptr);
  EXPECT_NE(error.find("unknown webhook provider 'acme'"), std::string::npos);
  EXPECT_NE(error.find("tiktok"), std::string::npos);
  const auto result = builtin_registry().create("acme", VerifierOptions{.secret = "s"});
  EXPECT_EQ(result.error(), VerifyErrc::unknown_provider);
}

TEST(Registry, MissingSecretIsAnErrorThatNamesTheFlag) {
  std::string error;
  EXPECT_EQ(builtin_registry().create("tiktok", {}, error), nullptr);
  EXPECT_NE(error.find("--verify-webhook-secret"), std::string::npos);
  EXPECT_EQ(builtin_registry().create("tiktok", VerifierOptions{}).error(),
            VerifyErrc::missing_secret);
}

TEST(Registry, BadKeysAndOptionsAreRejectedAtCreation) {
  std::string error;
  EXPECT_EQ(builtin_registry().create("discord", {.secret = "not hex"}, error), nullptr);
  EXPECT_NE(error.find("PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(builtin_registry().create("sendgrid", {.secret = "AAAA"}, error), nullptr);
  EXPECT_EQ(builtin_registry().create("plaid", {.secret = "{}"}, error), nullptr);
  EXPECT_EQ(builtin_registry().create("svix", {.secret = "whsec_!!"}, error), nullptr);
  VerifierOptions generic{.secret = "s", .params = {{"header", "X-Sig"}, {"algorithm", "md5"}}};
  EXPECT_EQ(builtin_registry().create("hmac", generic, error), nullptr);
  EXPECT_NE(error.find("sha1, sha256, sha512"), std::string::npos);
  generic.params = {{"heder", "X"}};
  EXPECT_EQ(builtin_registry().create("hmac", generic, error), nullptr);
  EXPECT_NE(error.find("unknown option 'heder'"), std::string::npos);
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
