#pragma once

#include <cstdint>

namespace relay::cli {

// Raises the soft RLIMIT_NOFILE to the hard limit. Most systems start processes at a soft
// limit of 1024 descriptors, which a server holding thousands of connections (each public
// caller, each agent, each stream's upstream) exhausts long before its own caps apply;
// raising the soft limit up to the hard one needs no privilege. Failure is harmless: the
// process keeps its limit and the accept loop already survives EMFILE. Returns the soft limit
// now in force (UINT64_MAX: unlimited or unknown).
std::uint64_t raise_open_files_limit();

// idle-sessions: the descriptors an edge needs to reach `max_sessions` agent sessions, with
// room for its public connections, pending handshakes and files besides.
std::uint64_t descriptors_for_sessions(std::uint64_t max_sessions);

}  // namespace relay::cli
