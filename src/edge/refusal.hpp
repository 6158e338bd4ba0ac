#pragma once

#include <stdexcept>
#include <string>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

namespace relay::edge {

// Why the edge refuses an agent's connect or bind: the HTTP status of the connect answer, the
// JSON error code of docs/protocol.md and the message the agent's user reads (what happened and
// what to do). It is the edge's failure kind for these decisions (docs/architecture.md §
// Errors): richer than core::Failure because the agent branches on the status and the code.
struct Refusal {
  int status;
  std::string code;
  std::string message;
};

// A T, or the Refusal the agent gets instead. Refusable<void>: a check that passed or refused.
template <class T>
using Refusable = boost::system::result<T, Refusal>;

// value() on a refusal is a programming error (check first): thrown.
[[noreturn]] inline void throw_exception_from_error(const Refusal& refusal,
                                                    const boost::source_location& /*where*/) {
  throw std::logic_error("refused (" + refusal.code + "): " + refusal.message);
}

}  // namespace relay::edge
