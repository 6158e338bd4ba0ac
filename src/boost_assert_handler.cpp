// Where a failed BOOST_ASSERT goes in a build with assertions (Debug, the sanitized CI build):
// BOOST_ENABLE_ASSERT_DEBUG_HANDLER (cmake/dependencies.cmake) sends it here instead of to
// assert(). Release builds define NDEBUG, and there BOOST_ASSERT is compiled out as before.
//
// One assertion of Boost 1.81 is wrong and is let through: Beast's
// basic_parser::parse_chunk_header asserts `n >= 5` when it parses the final chunk again, but a
// caller that follows the parser's contract can get there with 4 bytes ("0\r\n" and one byte of
// the trailers' end, when the bytes come split that way). The code after it handles that (it
// waits for the end of the trailers); Beast's PR 2861 corrected the assertion in Boost 1.86. An
// app that splits its chunked response that way would otherwise abort a sanitized agent, and it
// did abort the differential fuzz target (tests/fuzz/response_head_fuzz.cpp).
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <boost/assert.hpp>

namespace {

bool known_wrong_in_boost_1_81(std::string_view expr, std::string_view file) {
  return expr == "n >= 5" && file.ends_with("beast/http/impl/basic_parser.ipp");
}

}  // namespace

namespace boost {

void assertion_failed_msg(const char* expr, const char* msg, const char* function, const char* file,
                          long line) {
  if (known_wrong_in_boost_1_81(expr, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s\n", file, line, function, expr,
               msg != nullptr ? ": " : "", msg != nullptr ? msg : "");
  std::abort();
}

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
  assertion_failed_msg(expr, nullptr, function, file, line);
}

}  // namespace boost
