#include "store/sqlite_writer.hpp"

#include <memory>

#include <sqlite3.h>

#include "relay/store/error.hpp"

namespace relay::store::detail {

SqliteWriter::SqliteWriter(SqliteConnection& db, FailureLog& failures)
    : db_(db),
      failures_(failures),
      begin_(db, "BEGIN IMMEDIATE"),
      commit_(db, "COMMIT"),
      rollback_(db, "ROLLBACK"),
      savepoint_(db, "SAVEPOINT job"),
      release_(db, "RELEASE job"),
      rollback_to_(db, "ROLLBACK TO job"),
      syncer_(db.file(), failures),
      checkpointer_(db.file(), failures, kCheckpointBytes),
      thread_([this] { loop(); }) {
  // Commits reach the WAL without an fsync; syncer_ makes the durable ones durable.
  db_.exec("PRAGMA synchronous = NORMAL");
  // Replaces SQLite's own checkpoint at commit (sqlite3_wal_autocheckpoint is this hook).
  sqlite3_wal_hook(
      db_.handle(),
      [](void* checkpointer, sqlite3*, const char*, int frames) {
        static_cast<WalCheckpointer*>(checkpointer)->committed(frames);
        return SQLITE_OK;
      },
      &checkpointer_);
}

SqliteWriter::~SqliteWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void SqliteWriter::submit(std::unique_ptr<Job> job) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    was_empty = queue_.empty();
    queue_.push_back(std::move(job));
  }
  // Jobs behind others need no wake-up: the writer takes the whole queue when it gets to it.
  if (was_empty) wake_.notify_one();
}

void SqliteWriter::loop() {
  std::vector<std::unique_ptr<Job>> batch;
  std::vector<Job*> jobs;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is done
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    jobs.clear();
    for (auto& job : batch) jobs.push_back(job.get());
    execute(jobs);
    finish(batch);
  }
}

void SqliteWriter::finish(std::vector<std::unique_ptr<Job>>& batch) {
  auto to_sync = std::make_shared<std::vector<std::unique_ptr<Job>>>();
  std::vector<std::unique_ptr<Job>> now;
  for (auto& job : batch) {
    const bool wait = job->sync() == Sync::durable && !job->failed();
    (wait ? *to_sync : now).push_back(std::move(job));
  }
  batch.clear();
  complete(now);
  if (to_sync->empty()) return;
  syncer_.after_sync([to_sync](bool synced) {
    // Committed but not on disk: nobody may be told it is. It may still be delivered (the
    // sender, told to retry, sends it again: at least once).
    if (!synced) {
      for (auto& job : *to_sync) job->fail(make_error_code(Errc::unavailable));
    }
    complete(*to_sync);
  });
}

void SqliteWriter::complete(std::vector<std::unique_ptr<Job>>& batch) {
  while (!batch.empty()) {
    const auto executor = batch.front()->executor();
    std::vector<std::unique_ptr<Job>> same;
    std::vector<std::unique_ptr<Job>> others;
    for (auto& job : batch) (job->executor() == executor ? same : others).push_back(std::move(job));
    boost::asio::post(executor, [jobs = std::move(same)]() {
      for (const auto& job : jobs) job->complete();
    });
    batch = std::move(others);
  }
}

namespace {

int step(const Statement& statement) {
  const int rc = sqlite3_step(statement.get());
  sqlite3_reset(statement.get());
  return rc;
}

}  // namespace

void SqliteWriter::execute(const std::vector<Job*>& jobs) {
  if (execute_together(jobs)) return;
  if (jobs.size() == 1) return;  // its result says what failed
  // One job's failure (an I/O error, the disk full) aborted the whole transaction and the
  // others' writes with it: each again alone, so that each gets its own outcome.
  for (auto* job : jobs) execute_together({job});
}

bool SqliteWriter::execute_together(const std::vector<Job*>& jobs) {
  // A transaction that cannot start or commit is the disk's or the file's fault, not a job's:
  // every job fails, none is retried alone.
  if (int rc = step(begin_); rc != SQLITE_DONE) {
    failures_.report(rc, "begin", sqlite3_errmsg(db_.handle()));
    for (auto* job : jobs) job->fail(make_error_code(Errc::unavailable));
    return true;
  }
  for (auto* job : jobs) {
    step(savepoint_);
    const bool failed = job->execute(db_);
    if (sqlite3_get_autocommit(db_.handle()) != 0) {
      // SQLite rolled the transaction back (SQLITE_FULL, SQLITE_IOERR, ...).
      if (!failed) job->fail(make_error_code(Errc::unavailable));
      return false;
    }
    if (failed) step(rollback_to_);
    step(release_);
  }
  if (int rc = step(commit_); rc != SQLITE_DONE) {
    failures_.report(rc, "commit", sqlite3_errmsg(db_.handle()));
    if (sqlite3_get_autocommit(db_.handle()) == 0) step(rollback_);
    for (auto* job : jobs) job->fail(make_error_code(Errc::unavailable));
  }
  return true;
}

}  // namespace relay::store::detail
