#include <gtest/gtest.h>

#include "relay/inspect/error.hpp"
#include "relay/inspect/replayer.hpp"

namespace relay::inspect {
namespace {

Capture captured() {
  Capture c;
  c.tunnel = "web";
  c.method = "POST";
  c.url = "/hook";
  c.request_headers = {
      {"content-type", "application/json"}, {"content-length", "2"}, {"x-sig", "abc"}};
  c.request_body.assign("{}", 100);
  return c;
}

TEST(ApplyModifications, KeepsTheCaptureWhenNothingChanges) {
  const auto r = apply_modifications(captured(), {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tunnel, "web");
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->url, "/hook");
  EXPECT_EQ(r->body, "{}");
  EXPECT_EQ(r->headers.get("content-length"), "2");
  EXPECT_FALSE(r->resign);
}

TEST(ApplyModifications, AppliesEachChange) {
  ReplayModifications mods;
  mods.method = "PUT";
  mods.path = "other?x=1";
  mods.set_headers = {{"X-Sig", "new"}};
  mods.remove_headers = {"content-type"};
  mods.body = "{\"a\":1}";
  mods.resign = true;
  mods.tunnel = "second";
  const auto r = apply_modifications(captured(), mods);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->method, "PUT");
  EXPECT_EQ(r->url, "/other?x=1");
  EXPECT_EQ(r->headers.get("x-sig"), "new");
  EXPECT_FALSE(r->headers.contains("content-type"));
  EXPECT_FALSE(r->headers.contains("content-length"));  // the body changed: recomputed later
  EXPECT_EQ(r->body, "{\"a\":1}");
  EXPECT_TRUE(r->resign);
  EXPECT_EQ(r->tunnel, "second");
}

TEST(ApplyModifications, RefusesATruncatedBodyUnlessReplaced) {
  auto c = captured();
  c.request_body = {};
  c.request_body.append("0123456789", 4);
  EXPECT_EQ(apply_modifications(c, {}).error(), make_error_code(Errc::capture_truncated));
  ReplayModifications mods;
  mods.body = "new";
  EXPECT_TRUE(apply_modifications(c, mods));
}

TEST(ApplyModifications, RefusesWhatWouldInjectLines) {
  auto refused = [](const ReplayModifications& mods) {
    EXPECT_FALSE(modifications_error(mods).empty());
    auto r = apply_modifications(captured(), mods);
    return !r && r.error() == make_error_code(Errc::invalid_modifications);
  };
  ReplayModifications path;
  path.path = "/a HTTP/1.1\r\nX-Inj: 1\r\n\r\nGET /smuggled";
  EXPECT_TRUE(refused(path));
  EXPECT_NE(modifications_error(path).find("\"path\""), std::string::npos);
  path.path = "/a\tb";
  EXPECT_TRUE(refused(path));
  path.path = std::string("/a\0b", 4);
  EXPECT_TRUE(refused(path));
  ReplayModifications method;
  method.method = "GET / HTTP/1.1\r\n";
  EXPECT_TRUE(refused(method));
  EXPECT_NE(modifications_error(method).find("\"method\""), std::string::npos);
  method.method = "";
  EXPECT_TRUE(refused(method));
  ReplayModifications value;
  value.set_headers = {{"X-A", "1\r\nX-Inj: 1"}};
  EXPECT_TRUE(refused(value));
  ReplayModifications name;
  name.set_headers = {{"X A", "1"}};
  EXPECT_TRUE(refused(name));
  ReplayModifications all;
  all.headers = core::Headers{{"X-A", std::string("a\0b", 3)}};
  EXPECT_TRUE(refused(all));
  EXPECT_EQ(http_status(Errc::invalid_modifications), 400);
}

TEST(ApplyModifications, AcceptsOrdinaryEdits) {
  ReplayModifications mods;
  mods.method = "PROPFIND";
  mods.path = "/a%20b?q=%0D";
  mods.set_headers = {{"X-Tab", "a\tb"}, {"X-Utf8", "\xc3\xa9"}};
  EXPECT_EQ(modifications_error(mods), "");
  EXPECT_TRUE(apply_modifications(captured(), mods));
}

TEST(InspectErrors, MapToHttpStatuses) {
  EXPECT_EQ(http_status(Errc::capture_not_found), 404);
  EXPECT_EQ(http_status(Errc::capture_truncated), 409);
  EXPECT_EQ(http_status(Errc::resign_unavailable), 422);
  EXPECT_EQ(http_status(boost::system::errc::make_error_code(boost::system::errc::io_error)), 502);
  EXPECT_NE(make_error_code(Errc::capture_truncated).message().find("truncated"),
            std::string::npos);
}

}  // namespace
}  // namespace relay::inspect
