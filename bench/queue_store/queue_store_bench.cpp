// The durable queue's own throughput, without HTTP: appends of 1.5 KB requests from 1, 16 and 64
// concurrent coroutines (one io thread, like the edge), lease+ack, and a restart with a large
// backlog (file size, open time, first lease, RSS). bench/README.md, "Durable queue (store)".
//
//   queue_store_bench [--dir D] [--backlog N] [--body BYTES]
//   queue_store_bench --open D      (internal: a fresh process opening D, for its RSS)
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "relay/store/store.hpp"

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using relay::store::DeliveryQueue;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// CPU time of the whole process (io thread and writer thread), in seconds: what an operation
// costs whatever the machine's load does to the wall clock.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

relay::store::NewDelivery webhook(int i, std::size_t body_bytes) {
  relay::store::NewDelivery d;
  d.tunnel = fmt::format("hook{}", i % 4);
  d.headers = {{":method", "POST"},
               {":scheme", "https"},
               {":authority", "hook.relay.example"},
               {":path", "/webhooks/stripe"},
               {"content-type", "application/json"},
               {"user-agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
               {"stripe-signature",
                "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56"
                "ff536d0ce8e108d8bd"},
               {"relay-tunnel", d.tunnel},
               {"relay-request-id", fmt::format("req-{}", i)},
               {"relay-remote-addr", "203.0.113.7"}};
  d.body = std::string(body_bytes, 'x');
  d.received_at_ms = now_ms();
  d.event_id = fmt::format("evt_{}_{}", i, ::getpid());
  return d;
}

relay::core::BufferPolicy policy() {
  relay::core::BufferPolicy p;
  p.mode = relay::core::BufferMode::offline;
  p.max_events = relay::core::BufferPolicyBounds::kMaxEvents;
  return p;
}

std::string rss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  std::string out;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS") || line.starts_with("VmHWM")) {
      out += line.substr(0, line.find(':')) + " " +
             line.substr(line.find_first_not_of(" \t", line.find(':') + 1)) + "  ";
    }
  }
  return out;
}

// `writers` coroutines append `total` requests between them; prints appends/s and latency.
void appends(DeliveryQueue& q, int writers, int total, std::size_t body_bytes) {
  asio::io_context io;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(static_cast<std::size_t>(total));
  int next = 0;
  int failures = 0;
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  for (int w = 0; w < writers; ++w) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          while (next < total) {
            auto d = webhook(next++, body_bytes);
            const auto t = Clock::now();
            auto r = co_await q.append(std::move(d), policy());
            latencies_ms.push_back(seconds_since(t) * 1000);
            if (!r) ++failures;
          }
        },
        asio::detached);
  }
  io.run();
  const double elapsed = seconds_since(start);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms[std::min(
        latencies_ms.size() - 1,
        static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  fmt::print(
      "append  c={:<3} {:>7} appends  {:>8.0f}/s  p50 {:6.2f} ms  p99 {:6.2f} ms  cpu {:4.0f} us "
      "each  errors {}\n",
      writers, total, total / elapsed, pct(0.50), pct(0.99),
      (cpu_seconds() - cpu_start) * 1e6 / total, failures);
}

// `workers` coroutines each lease one of their tunnel's deliveries and ack it, until `total`
// were delivered: the deliver side's pattern (a lease per free slot, one ack per answer).
void lease_ack(DeliveryQueue& q, int workers, int total) {
  asio::io_context io;
  int delivered = 0;
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  for (int w = 0; w < workers; ++w) {
    asio::co_spawn(
        io,
        [&, w]() -> asio::awaitable<void> {
          const auto tunnel = fmt::format("hook{}", w % 4);
          while (delivered < total) {
            auto leased = co_await q.lease(tunnel, 1, now_ms(), 60'000);
            if (!leased || leased->empty()) co_return;
            (void)co_await q.ack(leased->front().id, 200, now_ms());
            ++delivered;
          }
        },
        asio::detached);
  }
  io.run();
  fmt::print("lease+ack c={:<3} {:>7} delivered  {:>8.0f}/s  cpu {:4.0f} us each\n", workers,
             delivered, static_cast<double>(delivered) / seconds_since(start),
             (cpu_seconds() - cpu_start) * 1e6 / std::max(delivered, 1));
}

template <class T>
T run_one(asio::io_context& io, asio::awaitable<T> op) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T v) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(v));
  });
  io.restart();
  io.run();
  return std::move(*out);
}

// A fresh process: open the backlog's database as a restarted edge would, and serve a lease.
int open_only(const fs::path& dir) {
  const auto start = Clock::now();
  auto store = relay::store::open_sqlite_store(dir);
  const double open_s = seconds_since(start);
  asio::io_context io;
  const auto lease_start = Clock::now();
  auto leased = run_one(io, store->deliveries().lease("hook0", 4, now_ms(), 60'000));
  const double lease_s = seconds_since(lease_start);
  auto tunnels = run_one(io, store->deliveries().tunnels_with_queued());
  const auto stats_start = Clock::now();
  auto stats = run_one(io, store->deliveries().stats());
  const double stats_s = seconds_since(stats_start);
  std::uint64_t queued = 0;
  if (stats) {
    for (const auto& s : *stats) queued += s.queued;
  }
  fmt::print(
      "restart  open {:.3f} s  first lease {:.3f} s ({} leased)  stats {:.3f} s ({} queued, {} "
      "tunnels)  {}\n",
      open_s, lease_s, leased ? leased->size() : 0, stats_s, queued, tunnels ? tunnels->size() : 0,
      rss());
  return 0;
}

void backlog(const fs::path& dir, const char* self, int rows, std::size_t body_bytes) {
  {
    auto store = relay::store::open_sqlite_store(dir);
    auto& q = store->deliveries();
    const auto start = Clock::now();
    asio::io_context io;
    int next = 0;
    for (int w = 0; w < 64; ++w) {
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            while (next < rows) (void)co_await q.append(webhook(next++, body_bytes), policy());
          },
          asio::detached);
    }
    io.run();
    fmt::print("backlog  {} rows of {} B appended in {:.1f} s\n", rows, body_bytes,
               seconds_since(start));
  }
  std::uintmax_t bytes = 0;
  for (const auto& entry : fs::directory_iterator(dir)) bytes += entry.file_size();
  fmt::print("backlog  files {:.1f} MiB (edge.db {:.1f} MiB)\n",
             static_cast<double>(bytes) / (1 << 20),
             static_cast<double>(fs::file_size(dir / relay::store::kEdgeDatabaseFile)) / (1 << 20));
  std::fflush(stdout);
  const auto command = fmt::format("'{}' --open '{}'", self, dir.string());
  if (std::system(command.c_str()) != 0) fmt::print("backlog  the reopen failed\n");
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = fs::temp_directory_path() / fmt::format("relay-queue-bench-{}", ::getpid());
  int backlog_rows = 0;
  std::size_t body_bytes = 1500;
  bool own_dir = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--open") return open_only(argv[i + 1]);
    if (flag == "--dir") {
      dir = argv[i + 1];
      own_dir = false;
    } else if (flag == "--backlog") {
      backlog_rows = std::atoi(argv[i + 1]);
    } else if (flag == "--body") {
      body_bytes = static_cast<std::size_t>(std::atoi(argv[i + 1]));
    } else {
      fmt::print(stderr, "usage: {} [--dir D] [--backlog N] [--body BYTES]\n", argv[0]);
      return 2;
    }
  }
  fs::remove_all(dir);
  {
    auto store = relay::store::open_sqlite_store(dir / "throughput");
    auto& q = store->deliveries();
    appends(q, 1, 2000, body_bytes);
    appends(q, 16, 20000, body_bytes);
    appends(q, 64, 50000, body_bytes);
    lease_ack(q, 1, 2000);
    lease_ack(q, 64, 30000);
  }
  if (backlog_rows > 0) backlog(dir / "backlog", argv[0], backlog_rows, body_bytes);
  if (own_dir) fs::remove_all(dir);
  return 0;
}
