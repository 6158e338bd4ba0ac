#include "relay/config/text_edit.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

namespace relay::config {
namespace {

TEST(TextEdit, ReplacesTheKeyAndKeepsCommentsAndOtherKeys) {
  const std::string text =
      "# my relay\nversion: \"2\"\nauthtoken: old   # from the edge admin\n\ntunnels:\n  web:\n    "
      "addr: 3000  # the app\n    authtoken: nested-not-touched\n";
  EXPECT_EQ(set_top_level_scalar(text, "authtoken", "new"),
            "# my relay\nversion: \"2\"\nauthtoken: \"new\"   # from the edge admin\n\ntunnels:\n  "
            "web:\n    addr: 3000  # the app\n    authtoken: nested-not-touched\n");
}

TEST(TextEdit, AddsTheKeyAfterVersionOrAtTheEnd) {
  EXPECT_EQ(set_top_level_scalar("# c\nversion: \"2\"\ntunnels: {}\n", "authtoken", "t"),
            "# c\nversion: \"2\"\nauthtoken: \"t\"\ntunnels: {}\n");
  EXPECT_EQ(set_top_level_scalar("tunnels: {}", "authtoken", "t"),
            "tunnels: {}\nauthtoken: \"t\"\n");
  EXPECT_EQ(set_top_level_scalar("", "authtoken", "t"), "authtoken: \"t\"\n");
  EXPECT_EQ(set_top_level_scalar("authtokens: x\n", "authtoken", "t"),
            "authtokens: x\nauthtoken: \"t\"\n");
}

TEST(TextEdit, QuotesAndRejectsControlCharacters) {
  EXPECT_EQ(yaml_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_THROW(set_top_level_scalar("", "authtoken", "a\nb"), std::invalid_argument);
}

TEST(TextEdit, NewFilesAre0600AndExistingFilesKeepTheirMode) {
  const auto dir = std::filesystem::temp_directory_path() / "relay_text_edit_test";
  std::filesystem::remove_all(dir);
  const auto path = (dir / "sub" / "relay.yml").string();
  write_file_atomically(path, "authtoken: \"x\"\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(read_file_or_empty(path), "authtoken: \"x\"\n");
  ::chmod(path.c_str(), 0640);
  write_file_atomically(path, "y\n");
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640U);
  EXPECT_EQ(read_file_or_empty(path), "y\n");
  EXPECT_EQ(read_file_or_empty((dir / "missing.yml").string()), "");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace relay::config
