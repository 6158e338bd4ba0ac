// Every signature case of the shared vectors (when ../shared/vectors exists) and of the
// project's own vectors (tests/vectors, always) through the built-in verifiers.
#include <gtest/gtest.h>

#include <set>

#include "relay/verify/verifier.hpp"
#include "unit/verify/vector_cases.hpp"

namespace relay::verify {
namespace {

namespace fs = std::filesystem;
using testing::load_json;
using testing::run_case;
using testing::vector_files;

const fs::path kShared{RELAY_SHARED_VECTORS_DIR};
const fs::path kOwn = fs::path{RELAY_SOURCE_DIR} / "tests" / "vectors";

void run_all(const fs::path& dir, int& count) {
  for (const auto& file : vector_files(dir)) {
    const auto cases = load_json(file);
    int index = 0;
    for (const auto& c : cases) {
      const auto failure = run_case(c);
      EXPECT_EQ(failure, "") << file.filename() << " case " << index << " (" << c.value("why", "")
                             << ")";
      ++index;
      ++count;
    }
  }
}

TEST(Vectors, SharedCasesPass) {
  if (!fs::is_directory(kShared)) GTEST_SKIP() << "no shared vectors at " << kShared;
  int count = 0;
  run_all(kShared, count);
  EXPECT_GT(count, 200);
}

TEST(Vectors, OwnCasesPass) {
  int count = 0;
  run_all(kOwn, count);
  EXPECT_GT(count, 100) << "tests/vectors/*.json: run tests/vectors/generate.py";
}

std::set<std::string> providers_with_vectors(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& file : vector_files(dir)) {
    for (const auto& c : load_json(file)) out.insert(c.at("provider").get<std::string>());
  }
  return out;
}

TEST(Vectors, EveryRegisteredProviderHasOwnVectors) {
  const auto covered = providers_with_vectors(kOwn);
  for (const auto& info : builtin_registry().providers()) {
    EXPECT_TRUE(covered.contains(info.name)) << info.name << " has no case in tests/vectors";
  }
}

TEST(Vectors, EverySharedProviderIsRegistered) {
  if (!fs::is_directory(kShared)) GTEST_SKIP() << "no shared vectors at " << kShared;
  for (const auto& name : providers_with_vectors(kShared)) {
    EXPECT_TRUE(builtin_registry().contains(name)) << name;
  }
}

TEST(Vectors, SharedHandshakesAreAnswered) {
  const auto file = kShared / "handshakes.json";
  if (!fs::exists(file)) GTEST_SKIP() << "no " << file;
  for (const auto& c : load_json(file)) {
    auto created =
        builtin_registry().create(c.at("provider").get<std::string>(), testing::options_of(c));
    ASSERT_TRUE(created) << created.error().message;
    const auto& verifier = *created;
    const auto& r = c.at("request");
    const auto headers = testing::headers_of(r.at("headers"));
    const auto method = r.at("method").get<std::string>();
    const auto url = r.at("url").get<std::string>();
    const auto body = r.at("body").get<std::string>();
    const auto response =
        verifier->handshake({method, url, headers, body},
                            core::from_unix_seconds(c.at("now_unix").get<std::int64_t>()));
    ASSERT_TRUE(response.has_value()) << c.at("why");
    const auto& want = c.at("expect_response");
    EXPECT_EQ(response->status, want.at("status").get<int>()) << c.at("why");
    if (want.contains("body")) EXPECT_EQ(response->body, want["body"].get<std::string>());
    if (want.contains("body_json")) {
      EXPECT_EQ(nlohmann::json::parse(response->body), want["body_json"]) << c.at("why");
    }
    if (want.contains("headers")) {
      for (const auto& [k, v] : want["headers"].items()) {
        EXPECT_EQ(response->headers.get(k).value_or("<absent>"), v.get<std::string>()) << k;
      }
    }
  }
}

}  // namespace
}  // namespace relay::verify
