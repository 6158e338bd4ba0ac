#pragma once

#include <stdexcept>
#include <string>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include "relay/core/result.hpp"

namespace relay::core {

// An expected failure a user meets (docs/architecture.md § Errors): `message` says what
// happened and what to do, in a sentence fit to show as it is; `code`, when set, tells callers
// that branch on the kind. Written `Failure{.message = ...}`: `code` comes first so that a
// Failure is not constructible from a string alone, which would make Fallible<std::string>
// ambiguous (C++20 builds aggregates from parentheses).
struct Failure {
  error_code code{};
  std::string message;
};

// A T, or the Failure saying why not: Result whose error carries its message.
template <class T>
using Fallible = boost::system::result<T, Failure>;

// value() on a failure is a programming error (check first): thrown.
[[noreturn]] inline void throw_exception_from_error(const Failure& failure,
                                                    const boost::source_location& /*where*/) {
  throw std::runtime_error(failure.message);
}

}  // namespace relay::core
