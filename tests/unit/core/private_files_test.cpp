#include "relay/core/private_files.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

namespace relay::core {
namespace {

namespace fs = std::filesystem;

class PrivateFilesTest : public ::testing::Test {
 protected:
  PrivateFilesTest()
      : root_(fs::temp_directory_path() /
              ("relay-private-test-" + std::to_string(std::random_device{}()))),
        old_umask_(::umask(022)) {}
  ~PrivateFilesTest() override {
    ::umask(old_umask_);
    fs::remove_all(root_);
  }
  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }
  static void make_loose(const fs::path& dir) {
    fs::create_directories(dir);
    ::chmod(dir.c_str(), 0755);
  }

  fs::path root_;
  mode_t old_umask_;
};

TEST_F(PrivateFilesTest, CreatesEveryMissingDirectory0700UnderUmask022) {
  ensure_private_directory(root_ / "a" / "b", LooseDirectory::warn);
  EXPECT_EQ(mode_of(root_), 0700u);
  EXPECT_EQ(mode_of(root_ / "a"), 0700u);
  EXPECT_EQ(mode_of(root_ / "a" / "b"), 0700u);
}

TEST_F(PrivateFilesTest, LooseDirectoryIsTightenedOnlyWhenRelayChoseIt) {
  make_loose(root_ / "mine");
  make_loose(root_ / "named");
  make_loose(root_ / "left");
  ensure_private_directory(root_ / "mine", LooseDirectory::tighten);
  ensure_private_directory(root_ / "named", LooseDirectory::warn);
  ensure_private_directory(root_ / "left", LooseDirectory::leave);
  EXPECT_EQ(mode_of(root_ / "mine"), 0700u);
  EXPECT_EQ(mode_of(root_ / "named"), 0755u);
  EXPECT_EQ(mode_of(root_ / "left"), 0755u);
}

TEST_F(PrivateFilesTest, DatabaseAndCompanionsEnd0600) {
  fs::create_directories(root_);
  const auto db = root_ / "x.db";
  prepare_private_database(db);
  EXPECT_EQ(mode_of(db), 0600u);
  std::ofstream(root_ / "x.db-wal") << "old";  // left 0644 by an older relay
  ::chmod(db.c_str(), 0644);
  prepare_private_database(db);
  EXPECT_EQ(mode_of(db), 0600u);
  EXPECT_EQ(mode_of(root_ / "x.db-wal"), 0600u);
}

TEST_F(PrivateFilesTest, AFileInTheWayIsAnErrorNamingIt) {
  fs::create_directories(root_);
  std::ofstream(root_ / "file") << "x";
  try {
    ensure_private_directory(root_ / "file", LooseDirectory::tighten);
    FAIL() << "a file accepted as a directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((root_ / "file").string()), std::string::npos);
  }
}

}  // namespace
}  // namespace relay::core
