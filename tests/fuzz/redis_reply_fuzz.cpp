// libFuzzer: the Redis client's reply decoding (store::redis::ReplyDecoder over hiredis's
// redisReader), fed what a hostile or broken server could send, in arbitrary pieces. It must
// never crash or allocate from a count alone; once it reports an error it yields nothing more;
// and what it decodes must decode the same when fed in one piece.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "relay/store/redis/redis_reply.hpp"

namespace {

using relay::store::redis::RedisReply;
using relay::store::redis::ReplyDecoder;

bool same(const RedisReply& a, const RedisReply& b) {
  if (a.type != b.type || a.integer != b.integer || a.text != b.text ||
      a.elements.size() != b.elements.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.elements.size(); ++i) {
    if (!same(a.elements[i], b.elements[i])) return false;
  }
  return true;
}

// Every reply of `data` fed in pieces of `piece` bytes, or the decoder's failure.
relay::core::Fallible<std::vector<RedisReply>> decode(std::string_view data, std::size_t piece) {
  ReplyDecoder decoder;
  std::vector<RedisReply> out;
  for (std::size_t at = 0; at < data.size(); at += piece) {
    decoder.feed(data.substr(at, piece));
    auto r = decoder.next();
    for (; r && *r; r = decoder.next()) out.push_back(std::move(**r));
    if (!r) {
      if (decoder.next()) __builtin_trap();  // an error is final
      return r.error();
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the piece size the stream arrives in (1..64 bytes).
  const std::size_t piece = (data[0] % 64) + 1;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto in_pieces = decode(stream, piece);
  auto whole = decode(stream, stream.size() + 1);
  if (in_pieces.has_value() != whole.has_value()) __builtin_trap();
  if (whole) {
    if (in_pieces->size() != whole->size()) __builtin_trap();
    for (std::size_t i = 0; i < whole->size(); ++i) {
      if (!same((*in_pieces)[i], (*whole)[i])) __builtin_trap();
    }
  }
  // Encoding is total: any arguments make a command.
  std::vector<std::string> args{std::string(stream.substr(0, stream.size() / 2)),
                                std::string(stream.substr(stream.size() / 2))};
  if (relay::store::redis::encode_command(args).empty()) __builtin_trap();
  return 0;
}
