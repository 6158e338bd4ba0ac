#pragma once

#include <boost/asio/io_context.hpp>

namespace relay::cli {

// The edge, the agent and the embedded edge run on one thread and one io_context: the
// reactor's per-socket locks are pure cost there (a lock and unlock per I/O operation). The
// scheduler keeps its lock: the resolver completes from its own thread.
inline constexpr int kOneIoThread = BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO;

}  // namespace relay::cli
