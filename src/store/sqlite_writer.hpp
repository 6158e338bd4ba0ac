#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "relay/core/result.hpp"
#include "store/failure_log.hpp"
#include "store/sqlite_connection.hpp"
#include "store/wal_checkpointer.hpp"
#include "store/wal_syncer.hpp"

namespace relay::store::detail {

// The group-commit thread of the durable queue, with its own connection. Work from the io
// thread's coroutines is queued; the thread takes everything pending (up to kMaxBatch jobs),
// runs it in one transaction, each job in its own savepoint (a failing job leaves the others'
// writes alone), and commits once. A job that promised durability completes once a WalSyncer
// fsync that followed its commit is done (one fsync for many commits, while the next batch
// runs); the others complete at once. Completions are posted to the executor each coroutine
// awaits on. So many concurrent appends share one fsync, and none is answered before it is
// durable. The io thread never touches the disk.
class SqliteWriter {
 public:
  static constexpr std::size_t kMaxBatch = 512;
  // The WAL is copied back into the database (WalCheckpointer) once it holds this much.
  static constexpr std::uint64_t kCheckpointBytes = 16 * 1024 * 1024;

  // `db` is used from the writer thread only, from now on.
  SqliteWriter(SqliteConnection& db, FailureLog& failures);
  // Finishes the queued jobs (their coroutines complete), then stops the thread.
  ~SqliteWriter();
  SqliteWriter(const SqliteWriter&) = delete;
  SqliteWriter& operator=(const SqliteWriter&) = delete;

  // When a job's coroutine resumes.
  enum class Sync {
    // Once its commit is fsync'd: survives a power cut. What was promised to someone outside
    // (an append answered "queued", an operator's retry, drop or purge), and what such a
    // promise is made from (a dedupe look-up that answers a retry "queued" as well).
    durable,
    // At its commit (the WAL is in the page cache; the next fsync takes it along): survives
    // the process dying, a power cut may undo it. What at-least-once delivery tolerates losing:
    // a lease, an ack or nack (the delivery is sent again), a dedupe entry of a live request.
    relaxed,
  };

  // Runs `work(db)` on the writer thread, within the next batch's transaction, and completes
  // with its result once that transaction is committed, and for a durable job synced (a failed
  // commit or fsync: Errc::unavailable). `work` may run twice: when another job's failure
  // aborts a batch, each job is re-run alone.
  template <class T, class Work>
  boost::asio::awaitable<core::Result<T>> run(Sync sync, Work work) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(core::Result<T>)>(
        [this, sync, work = std::move(work)](auto handler) mutable {
          submit(std::make_unique<JobFor<T, Work, decltype(handler)>>(sync, std::move(work),
                                                                      std::move(handler)));
        },
        boost::asio::use_awaitable);
  }

 private:
  class Job {
   public:
    Job(Sync sync, const boost::asio::any_io_executor& executor)
        : sync_(sync), work_(boost::asio::make_work_guard(executor)) {}
    virtual ~Job() = default;
    [[nodiscard]] Sync sync() const { return sync_; }
    // The awaiting coroutine's executor, kept busy (io_context::run does not return) until the
    // job is complete.
    [[nodiscard]] boost::asio::any_io_executor executor() const { return work_.get_executor(); }
    // Runs the work; true when it failed (its savepoint is rolled back).
    virtual bool execute(SqliteConnection& db) = 0;
    virtual void fail(core::error_code ec) = 0;
    [[nodiscard]] virtual bool failed() const = 0;
    // Resumes the awaiting coroutine with the result; on its executor only.
    virtual void complete() = 0;

   protected:
    void release_executor() { work_.reset(); }

   private:
    Sync sync_;
    boost::asio::executor_work_guard<boost::asio::any_io_executor> work_;
  };

  template <class T, class Work, class Handler>
  class JobFor final : public Job {
   public:
    JobFor(Sync sync, Work work, Handler handler)
        : Job(sync, boost::asio::get_associated_executor(handler)),
          work_(std::move(work)),
          handler_(std::move(handler)) {}
    bool execute(SqliteConnection& db) override {
      result_.emplace(work_(db));
      return result_->has_error();
    }
    void fail(core::error_code ec) override { result_.emplace(boost::system::in_place_error, ec); }
    [[nodiscard]] bool failed() const override { return result_ && result_->has_error(); }
    void complete() override {
      auto handler = std::move(handler_);
      auto result = std::move(*result_);
      release_executor();
      std::move(handler)(std::move(result));
    }

   private:
    Work work_;
    Handler handler_;
    std::optional<core::Result<T>> result_;
  };

  void submit(std::unique_ptr<Job> job);
  // Completes the batch's jobs with one post per executor (usually one: the edge's io thread),
  // not one wake-up of the io thread per job.
  static void complete(std::vector<std::unique_ptr<Job>>& batch);
  // Completes the relaxed and failed jobs of a committed batch now, the others after an fsync.
  void finish(std::vector<std::unique_ptr<Job>>& batch);
  void loop();
  // Runs `jobs` in one transaction; on an aborted transaction, each alone.
  void execute(const std::vector<Job*>& jobs);
  // Runs `jobs` in one transaction; false when the transaction was lost (nothing committed).
  bool execute_together(const std::vector<Job*>& jobs);

  SqliteConnection& db_;
  FailureLog& failures_;
  Statement begin_;
  Statement commit_;
  Statement rollback_;
  Statement savepoint_;
  Statement release_;
  Statement rollback_to_;
  WalSyncer syncer_;
  WalCheckpointer checkpointer_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace relay::store::detail
