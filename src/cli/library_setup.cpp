#include "cli/library_setup.hpp"

#include <sqlite3.h>

namespace relay::cli {

void configure_libraries() {
  // SQLite gives each connection's page cache an up-front block for 20 pages (~87 KiB) at its
  // first transaction. The edge's state database (names, queue) and the inspector's captures
  // are small and mostly cached by the kernel: the edge held ~440 KiB of these blocks for a few
  // pages in use. Without the block, pages are allocated as they are read. Must precede
  // sqlite3_initialize(); a failure only keeps the default.
  sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
}

}  // namespace relay::cli
