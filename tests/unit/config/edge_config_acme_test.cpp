// operations: acme: the edge.yml keys of automatic certificates.
#include <gtest/gtest.h>

#include "relay/config/edge_config.hpp"

namespace relay::config {
namespace {

EdgeConfigLoad parse(std::string text) {
  return parse_edge_config(
      {std::make_shared<ConfigSource>(ConfigSource{"edge.yml", std::move(text), false})});
}

TEST(EdgeConfigAcme, ReadsEveryKey) {
  auto load = parse(R"(acme:
  email: ops@example.com
  directory: https://127.0.0.1:14000/dir
  ca_file: /etc/relay/pebble.pem
  orders_per_hour: 3
  challenge: tls-alpn-01
)");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  const auto& acme = load.options.acme;
  EXPECT_EQ(acme.email, "ops@example.com");
  EXPECT_EQ(acme.directory, "https://127.0.0.1:14000/dir");
  EXPECT_EQ(acme.ca_file, "/etc/relay/pebble.pem");
  EXPECT_EQ(acme.orders_per_hour, 3U);
  EXPECT_EQ(acme.challenge, "tls-alpn-01");
}

TEST(EdgeConfigAcme, DefaultsToLetsEncryptAndOff) {
  auto load = parse("domain: relay.example.com\n");
  ASSERT_TRUE(load.ok()) << load.diagnostics.to_string();
  EXPECT_TRUE(load.options.acme.email.empty());
  EXPECT_EQ(load.options.acme.directory, "https://acme-v02.api.letsencrypt.org/directory");
}

TEST(EdgeConfigAcme, RefusesBadValuesWithTheirKey) {
  auto load =
      parse("acme:\n  email: nobody\n  directory: http://ca/dir\n  mail: x\n  challenge: dns-01\n");
  ASSERT_FALSE(load.ok());
  const auto text = load.diagnostics.to_string();
  EXPECT_NE(text.find("acme.email"), std::string::npos) << text;
  EXPECT_NE(text.find("acme.directory"), std::string::npos) << text;
  EXPECT_NE(text.find("mail"), std::string::npos) << text;
  EXPECT_NE(text.find("acme.challenge"), std::string::npos) << text;
  EXPECT_NE(text.find("http-01 or tls-alpn-01"), std::string::npos) << text;
}

}  // namespace
}  // namespace relay::config
