#include "edge/session_registry.hpp"

#include <gtest/gtest.h>

#include "edge/auth_tokens.hpp"
#include "relay/store/store.hpp"

namespace relay::edge {
namespace {

using namespace std::chrono_literals;
using protocol_tunnels = std::vector<net::protocol::TunnelRequest>;

class SessionRegistryTest : public ::testing::Test {
 protected:
  SessionRegistryTest() {
    alice_ = make_auth_token("alice-token");
    bob_ = make_auth_token("bob-token");
    alice_.reserved_names = {"alicehook"};
  }

  SessionRegistry make(std::chrono::seconds grace = 60s) {
    return SessionRegistry({alice_, bob_}, grace, /*max_tunnels=*/4, /*max_sessions=*/100,
                           store_->names());
  }

  static protocol_tunnels named(std::initializer_list<const char*> names) {
    protocol_tunnels out;
    for (const char* n : names) out.push_back({n, "http", ""});
    return out;
  }

  static SessionRegistry::Grant granted(Refusable<SessionRegistry::Grant> v) {
    if (!v) {
      ADD_FAILURE() << v.error().status << " " << v.error().code << ": " << v.error().message;
      return {};
    }
    return std::move(*v);
  }
  static Refusal refused(Refusable<SessionRegistry::Grant> v) {
    EXPECT_FALSE(v);
    return v ? Refusal{0, "", ""} : std::move(v.error());
  }

  AuthToken alice_;
  AuthToken bob_;
  NameGenerator names_;
  SessionRegistry::TimePoint t0_{std::chrono::hours(1000)};
  std::unique_ptr<store::Store> store_ = store::make_memory_store();
};

TEST_F(SessionRegistryTest, GrantsRequestedAndRandomNames) {
  auto reg = make();
  auto g = granted(reg.open({&alice_, named({"MyHook", ""}), std::nullopt}, t0_, names_));
  ASSERT_EQ(g.names.size(), 2u);
  EXPECT_EQ(g.names[0], "myhook");
  EXPECT_EQ(g.names[1].size(), 8u);
  EXPECT_EQ(g.session_id.size(), 32u);
  EXPECT_FALSE(g.resumed);
  EXPECT_EQ(reg.lookup("myhook", t0_).state, SessionRegistry::State::live);
  EXPECT_EQ(reg.lookup("other", t0_).state, SessionRegistry::State::not_found);
}

TEST_F(SessionRegistryTest, NameHeldByLiveSessionIsA409NamingIt) {
  auto reg = make();
  granted(reg.open({&alice_, named({"shared"}), std::nullopt}, t0_, names_));
  // The same token from a second agent: the name is its own, but in use.
  auto r = refused(reg.open({&alice_, named({"shared"}), std::nullopt}, t0_, names_));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.code, "name_in_use");
  EXPECT_NE(r.message.find("'shared'"), std::string::npos);
}

TEST_F(SessionRegistryTest, NameOfAnotherTokenIsA409NameOwnedAtAnyTime) {
  auto reg = make(0s);
  auto g = granted(reg.open({&alice_, named({"hook", ""}), std::nullopt}, t0_, names_));
  ASSERT_EQ(store_->names().owner("hook").value(), alice_.sha256_hex);
  ASSERT_EQ(store_->names().owner(g.names[1]).value(), alice_.sha256_hex);  // random ones too
  auto live = refused(reg.open({&bob_, named({"hook"}), std::nullopt}, t0_, names_));
  EXPECT_EQ(live.status, 409);
  EXPECT_EQ(live.code, "name_owned");
  EXPECT_NE(live.message.find("relay edge names release hook"), std::string::npos);
  reg.detach(g.session_id, nullptr, t0_);
  // Gone, grace over, or an edge restarted (a new registry on the same store): still alice's.
  auto restarted = make(0s);
  EXPECT_EQ(refused(restarted.open({&bob_, named({"hook"}), std::nullopt}, t0_, names_)).code,
            "name_owned");
  EXPECT_EQ(refused(restarted.open({nullptr, named({"hook"}), std::nullopt}, t0_, names_)).code,
            "name_owned");
  EXPECT_EQ(
      refused(restarted.open({&bob_, named({g.names[1].c_str()}), std::nullopt}, t0_, names_)).code,
      "name_owned");
  granted(restarted.open({&alice_, named({"hook"}), std::nullopt}, t0_, names_));
}

TEST_F(SessionRegistryTest, ReleasedNameGoesToTheNextToken) {
  auto reg = make(0s);
  auto g = granted(reg.open({&alice_, named({"hook"}), std::nullopt}, t0_, names_));
  reg.detach(g.session_id, nullptr, t0_);
  ASSERT_TRUE(store_->names().release("hook").value());
  granted(reg.open({&bob_, named({"hook"}), std::nullopt}, t0_, names_));
  EXPECT_EQ(store_->names().owner("hook").value(), bob_.sha256_hex);
}

TEST_F(SessionRegistryTest, AnonymousAgentsOwnNothing) {
  auto reg = make(0s);
  auto g = granted(reg.open({nullptr, named({"anon"}), std::nullopt}, t0_, names_));
  EXPECT_FALSE(store_->names().owner("anon").value().has_value());
  reg.detach(g.session_id, nullptr, t0_);
  granted(reg.open({&bob_, named({"anon"}), std::nullopt}, t0_, names_));
}

TEST_F(SessionRegistryTest, RefusalClaimsNothing) {
  auto reg = make();
  granted(reg.open({&alice_, named({"taken"}), std::nullopt}, t0_, names_));
  refused(reg.open({&bob_, named({"free", "taken"}), std::nullopt}, t0_, names_));
  EXPECT_EQ(reg.lookup("free", t0_).state, SessionRegistry::State::not_found);
  EXPECT_EQ(reg.session_count(), 1u);
}

TEST_F(SessionRegistryTest, NameReservedInTheConfigIsA409NameOwned) {
  ASSERT_TRUE(store_->names().claim("alicehook", bob_.sha256_hex).has_value());  // edge.yml wins
  auto reg = make();
  auto r = refused(reg.open({&bob_, named({"alicehook"}), std::nullopt}, t0_, names_));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.code, "name_owned");
  granted(reg.open({&alice_, named({"alicehook"}), std::nullopt}, t0_, names_));
  // Anonymous agents cannot take it either.
  auto anon = refused(reg.open({nullptr, named({"alicehook"}), std::nullopt}, t0_, names_));
  EXPECT_EQ(anon.status, 409);
}

TEST_F(SessionRegistryTest, InvalidDuplicateAndTooManyNamesAre400) {
  auto reg = make();
  EXPECT_EQ(refused(reg.open({&alice_, named({"bad_name"}), std::nullopt}, t0_, names_)).code,
            "invalid_name");
  EXPECT_EQ(refused(reg.open({&alice_, named({"a", "a"}), std::nullopt}, t0_, names_)).code,
            "duplicate_name");
  EXPECT_EQ(
      refused(reg.open({&alice_, named({"a", "b", "c", "d", "e"}), std::nullopt}, t0_, names_))
          .code,
      "too_many_tunnels");
  protocol_tunnels tcp{{"x", "tcp", ""}};
  EXPECT_EQ(refused(reg.open({&alice_, tcp, std::nullopt}, t0_, names_)).code, "unsupported_proto");
}

TEST_F(SessionRegistryTest, DisconnectedSessionKeepsNamesForTheGracePeriod) {
  auto reg = make(60s);
  auto g = granted(reg.open({&alice_, named({"hook"}), std::nullopt}, t0_, names_));
  reg.detach(g.session_id, nullptr, t0_);
  ASSERT_TRUE(store_->names().release("hook").value());  // the operator freed it
  EXPECT_EQ(reg.lookup("hook", t0_ + 10s).state, SessionRegistry::State::lost);
  auto r = refused(reg.open({&bob_, named({"hook"}), std::nullopt}, t0_ + 10s, names_));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.message.find("50 more seconds"), std::string::npos) << r.message;
  // After the grace period the name is free again.
  EXPECT_EQ(reg.lookup("hook", t0_ + 61s).state, SessionRegistry::State::not_found);
  granted(reg.open({&bob_, named({"hook"}), std::nullopt}, t0_ + 61s, names_));
}

TEST_F(SessionRegistryTest, ResumeGetsTheSameNamesBackEvenRandomOnes) {
  auto reg = make(60s);
  auto g = granted(reg.open({&alice_, named({"", "fixed"}), std::nullopt}, t0_, names_));
  reg.detach(g.session_id, nullptr, t0_ + 1s);
  auto again = granted(reg.open({&alice_, named({"", "fixed"}), g.session_id}, t0_ + 30s, names_));
  EXPECT_TRUE(again.resumed);
  EXPECT_EQ(again.session_id, g.session_id);
  EXPECT_EQ(again.names, g.names);
  EXPECT_EQ(reg.lookup(g.names[0], t0_ + 30s).state, SessionRegistry::State::live);
}

TEST_F(SessionRegistryTest, SameTokenMayRestartWithoutResume) {
  auto reg = make(60s);
  auto g = granted(reg.open({&alice_, named({"hook", "other"}), std::nullopt}, t0_, names_));
  reg.detach(g.session_id, nullptr, t0_);
  // A restarted agent (new process, no session id) with the same token gets its name at once.
  auto again = granted(reg.open({&alice_, named({"hook"}), std::nullopt}, t0_ + 1s, names_));
  EXPECT_FALSE(again.resumed);
  EXPECT_EQ(reg.lookup("hook", t0_ + 1s).state, SessionRegistry::State::live);
  // The old session keeps only what was not taken, and its expiry does not drop the new claim.
  EXPECT_EQ(reg.lookup("other", t0_ + 1s).state, SessionRegistry::State::lost);
  EXPECT_EQ(reg.lookup("hook", t0_ + 2min).state, SessionRegistry::State::live);
  EXPECT_EQ(reg.lookup("other", t0_ + 2min).state, SessionRegistry::State::not_found);
}

TEST_F(SessionRegistryTest, ResumeNeedsTheSameToken) {
  auto reg = make(60s);
  auto g = granted(reg.open({&alice_, named({"hook"}), std::nullopt}, t0_, names_));
  reg.detach(g.session_id, nullptr, t0_);
  auto r = refused(reg.open({&bob_, named({"hook"}), g.session_id}, t0_ + 1s, names_));
  EXPECT_EQ(r.status, 409);
}

TEST_F(SessionRegistryTest, ResumeAfterGraceIsANewSession) {
  auto reg = make(60s);
  auto g = granted(reg.open({&alice_, named({"hook"}), std::nullopt}, t0_, names_));
  reg.detach(g.session_id, nullptr, t0_);
  auto again = granted(reg.open({&alice_, named({"hook"}), g.session_id}, t0_ + 2min, names_));
  EXPECT_FALSE(again.resumed);
  EXPECT_NE(again.session_id, g.session_id);
}

TEST_F(SessionRegistryTest, ResumeOfAStillConnectedSessionReplacesIt) {
  auto reg = make(60s);
  auto g = granted(reg.open({&alice_, named({"hook"}), std::nullopt}, t0_, names_));
  // The agent saw its link die before the edge did.
  auto again = granted(reg.open({&alice_, named({"hook"}), g.session_id}, t0_ + 1s, names_));
  EXPECT_TRUE(again.resumed);
  // The old connection's late detach must not drop the resumed session.
  auto* stale = reinterpret_cast<const AgentSession*>(0x1);
  reg.detach(g.session_id, stale, t0_ + 2s);
  EXPECT_EQ(reg.lookup("hook", t0_ + 2s).state, SessionRegistry::State::live);
}

TEST_F(SessionRegistryTest, ZeroGraceFreesNamesAtOnce) {
  auto reg = make(0s);
  auto g = granted(reg.open({&alice_, named({"hook"}), std::nullopt}, t0_, names_));
  reg.detach(g.session_id, nullptr, t0_);
  EXPECT_EQ(reg.lookup("hook", t0_).state, SessionRegistry::State::not_found);
  EXPECT_EQ(reg.session_count(), 0u);
}

TEST_F(SessionRegistryTest, BindAndUnbindOnALiveSession) {
  auto reg = make();
  auto g = granted(reg.open({&alice_, named({"one"}), std::nullopt}, t0_, names_));
  auto bound = reg.bind(g.session_id, named({"two"}), t0_, names_);
  ASSERT_TRUE(bound);
  EXPECT_EQ(*bound, std::vector<std::string>{"two"});
  EXPECT_EQ(reg.lookup("two", t0_).state, SessionRegistry::State::live);
  auto clash = reg.bind(g.session_id, named({"alicehook", "one"}), t0_, names_);
  EXPECT_TRUE(clash);  // own names are fine
  auto other = granted(reg.open({&bob_, {}, std::nullopt}, t0_, names_));
  auto refused_bind = reg.bind(other.session_id, named({"two"}), t0_, names_);
  ASSERT_FALSE(refused_bind);
  EXPECT_EQ(refused_bind.error().status, 409);
  reg.unbind(g.session_id, {"TWO"});
  EXPECT_EQ(reg.lookup("two", t0_).state, SessionRegistry::State::not_found);
  EXPECT_EQ(reg.lookup("one", t0_).state, SessionRegistry::State::live);
}

TEST_F(SessionRegistryTest, SessionLimit) {
  SessionRegistry reg({alice_}, 60s, 4, 1, store_->names());
  granted(reg.open({&alice_, {}, std::nullopt}, t0_, names_));
  EXPECT_EQ(refused(reg.open({&alice_, {}, std::nullopt}, t0_, names_)).status, 503);
}

}  // namespace
}  // namespace relay::edge
