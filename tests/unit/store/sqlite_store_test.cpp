#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "relay/store/store.hpp"

namespace relay::store {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  SqliteStoreTest()
      : dir_(fs::temp_directory_path() /
             ("relay-store-test-" + std::to_string(std::random_device{}())) / "edge") {}
  ~SqliteStoreTest() override { fs::remove_all(dir_.parent_path()); }

  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }

  fs::path dir_;
};

TEST_F(SqliteStoreTest, FirstClaimOwnsTheNameAcrossReopen) {
  {
    auto store = open_sqlite_store(dir_);
    EXPECT_EQ(store->names().claim("hook", "aaa").value(), ClaimOutcome::claimed);
    EXPECT_EQ(store->names().claim("hook", "aaa").value(), ClaimOutcome::already_owner);
    EXPECT_EQ(store->names().claim("hook", "bbb").value(), ClaimOutcome::owned_by_other);
  }
  auto reopened = open_sqlite_store(dir_);  // an edge restart
  EXPECT_EQ(reopened->names().owner("hook").value(), std::optional<std::string>("aaa"));
  EXPECT_EQ(reopened->names().claim("hook", "bbb").value(), ClaimOutcome::owned_by_other);
  EXPECT_FALSE(reopened->names().owner("other").value().has_value());
}

TEST_F(SqliteStoreTest, ReleaseByAnotherConnectionIsSeenAtOnce) {
  auto edge = open_sqlite_store(dir_);
  ASSERT_EQ(edge->names().claim("hook", "aaa").value(), ClaimOutcome::claimed);
  ASSERT_EQ(edge->names().claim("api", "aaa").value(), ClaimOutcome::claimed);
  {
    auto operator_cli = open_sqlite_store(dir_, OpenMode::existing);  // while the edge runs
    auto listed = operator_cli->names().list().value();
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].name, "api");
    EXPECT_EQ(listed[1].owner, "aaa");
    EXPECT_GT(listed[1].claimed_at, 0);
    EXPECT_TRUE(operator_cli->names().release("hook").value());
    EXPECT_FALSE(operator_cli->names().release("hook").value());
  }
  EXPECT_EQ(edge->names().claim("hook", "bbb").value(), ClaimOutcome::claimed);
}

TEST_F(SqliteStoreTest, FilesArePrivateWhateverTheUmask) {
  const auto old = ::umask(022);
  {
    auto store = open_sqlite_store(dir_);
    ASSERT_EQ(store->names().claim("hook", "aaa").value(), ClaimOutcome::claimed);
    EXPECT_EQ(mode_of(dir_), 0700u);
    EXPECT_EQ(mode_of(dir_ / kEdgeDatabaseFile), 0600u);
    EXPECT_EQ(mode_of(dir_ / "edge.db-wal"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "edge.db-shm"), 0600u);
  }
  ::umask(old);
}

TEST_F(SqliteStoreTest, MissingDatabaseIsAnErrorForOperatorCommands) {
  try {
    open_sqlite_store(dir_, OpenMode::existing);
    FAIL() << "opened a database that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--state-dir"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / kEdgeDatabaseFile));
}

TEST_F(SqliteStoreTest, CorruptDatabaseRefusesNamingTheFile) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / kEdgeDatabaseFile) << std::string(8192, 'x');
  try {
    open_sqlite_store(dir_);
    FAIL() << "opened a corrupt database";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((dir_ / kEdgeDatabaseFile).string()), std::string::npos) << what;
    EXPECT_NE(what.find("move it"), std::string::npos) << what;
  }
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  open_sqlite_store(dir_).reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / kEdgeDatabaseFile).c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_version VALUES (99)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  try {
    open_sqlite_store(dir_);
    FAIL() << "opened a database of a newer relay";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer relay"), std::string::npos) << e.what();
  }
}

TEST(MemoryStoreTest, SameContractAsSqlite) {
  auto store = make_memory_store();
  EXPECT_EQ(store->names().claim("hook", "aaa").value(), ClaimOutcome::claimed);
  EXPECT_EQ(store->names().claim("hook", "bbb").value(), ClaimOutcome::owned_by_other);
  EXPECT_EQ(store->names().list().value().size(), 1u);
  EXPECT_TRUE(store->names().release("hook").value());
  EXPECT_EQ(store->names().claim("hook", "bbb").value(), ClaimOutcome::claimed);
}

}  // namespace
}  // namespace relay::store
