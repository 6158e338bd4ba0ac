#include "cli/child_process.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>

namespace relay::cli {

// posix_spawn rather than fork + exec: nothing of ours runs in the child. A forked copy of a
// process may not allocate (another thread may have held the allocator's lock at the fork), and
// an AddressSanitizer build hung there in CI.
int run_child(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (args.size() < 2 ||
      ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
    return 127;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace relay::cli
