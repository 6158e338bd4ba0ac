#include "store/sqlite_policy_store.hpp"

#include <sqlite3.h>

#include "relay/store/error.hpp"

namespace relay::store::detail {
namespace {

void bind_text(sqlite3_stmt* stmt, int index, std::string_view value) {
  sqlite3_bind_text(stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}

}  // namespace

SqlitePolicyStore::SqlitePolicyStore(SqliteConnection& db, FailureLog& failures)
    : db_(db),
      failures_(failures),
      upsert_(db,
              "INSERT OR REPLACE INTO tunnel_policies (name, mode, ttl_s, max_events, status, "
              "concurrency, ordered, dedupe_window_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
      delete_(db, "DELETE FROM tunnel_policies WHERE name = ?1"),
      select_all_(db,
                  "SELECT name, mode, ttl_s, max_events, status, concurrency, ordered, "
                  "dedupe_window_s FROM tunnel_policies ORDER BY name") {}

core::error_code SqlitePolicyStore::failed(const char* op) {
  failures_.report(sqlite3_extended_errcode(db_.handle()), op, sqlite3_errmsg(db_.handle()));
  return make_error_code(Errc::unavailable);
}

core::Result<void> SqlitePolicyStore::save(std::string_view name,
                                           const core::BufferPolicy& policy) {
  if (!policy.enabled()) {
    ResetOnExit reset(delete_.get());
    bind_text(delete_.get(), 1, name);
    if (sqlite3_step(delete_.get()) != SQLITE_DONE) return failed("save policy");
    return {};
  }
  auto* s = upsert_.get();
  ResetOnExit reset(s);
  bind_text(s, 1, name);
  bind_text(s, 2, core::to_string(policy.mode));
  sqlite3_bind_int64(s, 3, policy.ttl.count());
  sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(policy.max_events));
  sqlite3_bind_int(s, 5, policy.status);
  sqlite3_bind_int(s, 6, policy.concurrency);
  sqlite3_bind_int(s, 7, policy.ordered ? 1 : 0);
  sqlite3_bind_int64(s, 8, policy.dedupe_window.count());
  if (sqlite3_step(s) != SQLITE_DONE) return failed("save policy");
  return {};
}

core::Result<std::vector<std::pair<std::string, core::BufferPolicy>>> SqlitePolicyStore::all() {
  auto* s = select_all_.get();
  ResetOnExit reset(s);
  std::vector<std::pair<std::string, core::BufferPolicy>> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
    core::BufferPolicy p;
    // A mode this relay does not know (written by a newer one) is left out, not guessed.
    auto parsed = core::parse_buffer_mode(mode != nullptr ? mode : "");
    if (!parsed || name == nullptr) continue;
    p.mode = *parsed;
    p.ttl = std::chrono::seconds(sqlite3_column_int64(s, 2));
    p.max_events = static_cast<std::uint64_t>(sqlite3_column_int64(s, 3));
    p.status = sqlite3_column_int(s, 4);
    p.concurrency = sqlite3_column_int(s, 5);
    p.ordered = sqlite3_column_int(s, 6) != 0;
    p.dedupe_window = std::chrono::seconds(sqlite3_column_int64(s, 7));
    out.emplace_back(name, p);
  }
  if (rc != SQLITE_DONE) return failed("read policies");
  return out;
}

}  // namespace relay::store::detail
