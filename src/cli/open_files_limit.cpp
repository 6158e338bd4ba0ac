#include "cli/open_files_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace relay::cli {

std::uint64_t raise_open_files_limit() {
  constexpr auto kUnknown = std::numeric_limits<std::uint64_t>::max();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return kUnknown;
  if (limit.rlim_cur != limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? kUnknown : static_cast<std::uint64_t>(limit.rlim_cur);
}

std::uint64_t descriptors_for_sessions(std::uint64_t max_sessions) {
  // One descriptor a session, and a quarter again (at least 1,024) for public callers, TLS
  // handshakes in progress, upstreams, the store and the logs.
  constexpr std::uint64_t kHeadroom = 1024;
  return max_sessions + std::max(kHeadroom, max_sessions / 4);
}

}  // namespace relay::cli
