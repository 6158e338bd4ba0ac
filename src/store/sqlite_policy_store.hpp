#pragma once

#include "relay/store/delivery_queue.hpp"
#include "store/failure_log.hpp"
#include "store/sqlite_connection.hpp"

namespace relay::store::detail {

// The tunnel_policies table, on the io thread's connection like the names: a save is a bind,
// rare, and one write.
class SqlitePolicyStore final : public PolicyStore {
 public:
  SqlitePolicyStore(SqliteConnection& db, FailureLog& failures);
  core::Result<void> save(std::string_view name, const core::BufferPolicy& policy) override;
  core::Result<std::vector<std::pair<std::string, core::BufferPolicy>>> all() override;

 private:
  core::error_code failed(const char* op);

  SqliteConnection& db_;
  FailureLog& failures_;
  Statement upsert_;
  Statement delete_;
  Statement select_all_;
};

}  // namespace relay::store::detail
