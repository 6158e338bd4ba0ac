#pragma once

#include <filesystem>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace relay::store::detail {

// One SQLite connection and the little the store needs on top of the C API. Single-threaded
// (the edge's io thread, or a CLI command). Statements are prepared once and reused.
class SqliteConnection {
 public:
  // Opens (or creates) the file; throws std::runtime_error with SQLite's reason.
  SqliteConnection(const std::filesystem::path& file, bool create);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs SQL without results; throws std::runtime_error with SQLite's message.
  void exec(const char* sql);
  sqlite3_stmt* prepare(const char* sql);
  [[nodiscard]] std::string last_error() const;
  [[nodiscard]] sqlite3* handle() const { return db_; }
  [[nodiscard]] const std::filesystem::path& file() const { return file_; }

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
};

// A prepared statement owned by its SqliteConnection's user; finalized on destruction.
class Statement {
 public:
  Statement(SqliteConnection& db, const char* sql) : stmt_(db.prepare(sql)) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  [[nodiscard]] sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

// Resets a reused statement (and its bindings) when the scope ends, whatever the path.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit();
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace relay::store::detail
