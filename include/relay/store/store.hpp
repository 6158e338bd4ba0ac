#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "relay/store/delivery_queue.hpp"
#include "relay/store/name_store.hpp"

namespace relay::store {

// The edge's state that must survive a restart (DESIGN.md, "Edge state"), one facet per concern
// so that each implementation keeps one connection for all of them:
//   names()       tunnel name ownership (hardening issue, item 3)
//   policies()    the buffer policy each owned name was bound with (issue 11)
//   deliveries()  the durable delivery queue and the dedupe window (issue 11): asynchronous;
//                 the SQLite store runs it on a writer thread with its own connection
// With Redis (issue 12) the same facets over one Redis connection.
// Owned by the edge's state; used only on its io thread.
class Store {
 public:
  virtual ~Store() = default;
  virtual NameStore& names() = 0;
  virtual PolicyStore& policies() = 0;
  virtual DeliveryQueue& deliveries() = 0;
};

// The file the SQLite store keeps in the edge's state directory.
inline constexpr const char* kEdgeDatabaseFile = "edge.db";

enum class OpenMode {
  create,    // the edge: make the directory and the database when missing
  existing,  // operator commands: the database must be there already
};

// SQLite in `state_dir` (created 0700; the database and its -wal/-shm 0600), WAL mode, so an
// operator command and the running edge share it. Throws std::runtime_error naming the file and
// what to do when it is missing (OpenMode::existing), corrupt, unreadable, or written by a newer
// relay: the edge must not start without the names it promised.
// `max_bytes` (0: none) caps the database file (not its -wal): an append that would grow it
// further fails with Errc::full, as a full tunnel does. A full disk or an I/O error is
// Errc::unavailable, logged once with the file and what to do.
// OpenMode::create (the edge) also makes the deliveries a dead edge left `delivering` due
// again; the file has one edge.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& state_dir,
                                         OpenMode mode = OpenMode::create,
                                         std::uint64_t max_bytes = 0);

// Nothing persists: the embedded edge of `relay http`, whose names live as long as its process
// (only that process's agent uses it), and unit tests.
std::unique_ptr<Store> make_memory_store();

}  // namespace relay::store
