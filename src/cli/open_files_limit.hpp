#pragma once

namespace relay::cli {

// Raises the soft RLIMIT_NOFILE to the hard limit. Most systems start processes at a soft
// limit of 1024 descriptors, which a server holding thousands of connections (each public
// caller, each agent, each stream's upstream) exhausts long before its own caps apply;
// raising the soft limit up to the hard one needs no privilege. Failure is harmless: the
// process keeps its limit and the accept loop already survives EMFILE.
void raise_open_files_limit();

}  // namespace relay::cli
