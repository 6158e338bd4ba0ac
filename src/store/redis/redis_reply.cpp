#include "relay/store/redis/redis_reply.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include <hiredis/hiredis.h>

namespace relay::store::redis {

namespace {

RedisReply to_value(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r.type == REDIS_REPLY_STRING   ? RedisReply::Type::string
                 : r.type == REDIS_REPLY_STATUS ? RedisReply::Type::status
                                                : RedisReply::Type::error;
      if (r.str != nullptr) out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) {
        if (r.element[i] != nullptr) out.elements.push_back(to_value(*r.element[i]));
      }
      break;
    default:  // REDIS_REPLY_NIL
      break;
  }
  return out;
}

}  // namespace

std::string encode_command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* target = nullptr;
  int len =
      redisFormatCommandArgv(&target, static_cast<int>(args.size()), argv.data(), lengths.data());
  std::string out;
  if (len > 0 && target != nullptr) out.assign(target, static_cast<std::size_t>(len));
  redisFreeCommand(target);
  return out;
}

struct ReplyDecoder::Reader {
  redisReader* r = redisReaderCreate();
  ~Reader() {
    if (r != nullptr) redisReaderFree(r);
  }
  Reader() = default;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
};

ReplyDecoder::ReplyDecoder() : reader_(std::make_unique<Reader>()) {
  if (reader_->r == nullptr) error_ = "out of memory creating the RESP reader";
}

ReplyDecoder::~ReplyDecoder() = default;

bool ReplyDecoder::check_framing(std::string_view bytes) {
  constexpr std::size_t kKeep = 32;  // enough of a line for its type and a 64-bit number
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (skip_ > 0) {
      const std::size_t n = std::min(skip_, bytes.size() - i);
      skip_ -= n;
      i += n;
      continue;
    }
    const char c = bytes[i++];
    if (c != '\n') {
      if (line_.size() < kKeep) line_.push_back(c);
      continue;
    }
    const char type = line_.empty() ? '\0' : line_.front();
    if (type == '*' || type == '$') {
      long long n = 0;
      const char* begin = line_.data() + 1;
      const char* end = line_.data() + line_.size();
      if (end > begin && *(end - 1) == '\r') --end;
      auto [ptr, ec] = std::from_chars(begin, end, n);
      if (ec == std::errc() && ptr == end) {
        if (type == '*' && n > kMaxElements) {
          error_ =
              "an array of " + std::to_string(n) + " elements is more than this client accepts";
          return false;
        }
        if (type == '$' && n > kMaxBulk) {
          error_ =
              "a bulk string of " + std::to_string(n) + " bytes is more than this client accepts";
          return false;
        }
        if (type == '$' && n >= 0) skip_ = static_cast<std::size_t>(n) + 2;
      }
    }
    line_.clear();
  }
  return true;
}

void ReplyDecoder::feed(std::string_view bytes) {
  if (!error_.empty() || bytes.empty()) return;
  if (!check_framing(bytes)) return;
  if (redisReaderFeed(reader_->r, bytes.data(), bytes.size()) != REDIS_OK) {
    error_ = reader_->r->errstr[0] != '\0' ? reader_->r->errstr : "the RESP reader failed";
  }
}

core::Fallible<std::optional<RedisReply>> ReplyDecoder::next() {
  if (!error_.empty()) return core::Failure{.message = error_};
  void* raw = nullptr;
  if (redisReaderGetReply(reader_->r, &raw) != REDIS_OK) {
    error_ = reader_->r->errstr[0] != '\0' ? reader_->r->errstr : "not a RESP reply";
    return core::Failure{.message = error_};
  }
  if (raw == nullptr) return std::nullopt;
  auto* reply = static_cast<redisReply*>(raw);
  std::optional<RedisReply> out = to_value(*reply);
  freeReplyObject(reply);
  return out;
}

}  // namespace relay::store::redis
