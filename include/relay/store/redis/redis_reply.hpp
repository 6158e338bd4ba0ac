#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/failure.hpp"

namespace relay::store::redis {

// One RESP reply, as a plain value (no hiredis type escapes this header).
struct RedisReply {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  long long integer = 0;
  std::string text;  // string, status and error replies
  std::vector<RedisReply> elements;

  [[nodiscard]] bool is_nil() const { return type == Type::nil; }
  [[nodiscard]] bool is_error() const { return type == Type::error; }
  [[nodiscard]] bool is_ok() const { return type == Type::status && text == "OK"; }
};

// A command as RESP bytes (hiredis's redisFormatCommandArgv): binary-safe arguments.
std::string encode_command(const std::vector<std::string>& args);

// Decodes RESP replies from a byte stream fed in pieces (hiredis's redisReader): a protocol
// error (bytes that are not RESP) is final, and the connection that sent them must be closed.
class ReplyDecoder {
 public:
  ReplyDecoder();
  ~ReplyDecoder();
  ReplyDecoder(const ReplyDecoder&) = delete;
  ReplyDecoder& operator=(const ReplyDecoder&) = delete;

  // Beyond these a reply is refused before hiredis sees it: hiredis 0.14 allocates an array's
  // element table from the count alone (`*99999999999` asks for terabytes).
  static constexpr long long kMaxElements = 1 << 20;
  static constexpr long long kMaxBulk = 512LL * 1024 * 1024;  // Redis's own proto-max-bulk-len

  void feed(std::string_view bytes);
  // The next complete reply, nullopt when more bytes are needed, or the Failure saying what was
  // wrong with the stream: final, every later call returns it again.
  [[nodiscard]] core::Fallible<std::optional<RedisReply>> next();

 private:
  struct Reader;
  // RESP2 is a flat sequence of items (an array's elements simply follow it), so its framing
  // can be checked without parsing: each item is a line, and a '$' line is followed by its
  // payload. Returns false (and sets error_) on a count or length beyond the limits.
  bool check_framing(std::string_view bytes);

  std::unique_ptr<Reader> reader_;
  std::string error_;     // empty while the stream is valid RESP: the decoder's state, which
                          // feed() may set and next() reports
  std::string line_;      // the current item's line so far (its first bytes)
  std::size_t skip_ = 0;  // payload bytes of a bulk string still to pass over
};

}  // namespace relay::store::redis
