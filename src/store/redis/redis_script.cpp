#include "store/redis/redis_script.hpp"

namespace relay::store::redis::detail {

namespace asio = boost::asio;

asio::awaitable<core::Result<RedisReply>> RedisScript::run(RedisConnection& redis,
                                                           std::vector<std::string> args) {
  if (sha_.empty()) {
    std::vector<std::string> load{"SCRIPT", "LOAD", source_};
    auto loaded = co_await redis.command(std::move(load));
    if (!loaded) co_return loaded.error();
    if (loaded->type == RedisReply::Type::string) sha_ = loaded->text;
  }
  if (!sha_.empty()) {
    std::vector<std::string> evalsha{"EVALSHA", sha_, "0"};
    evalsha.insert(evalsha.end(), args.begin(), args.end());
    auto r = co_await redis.command(std::move(evalsha));
    if (!r || !r->is_error() || !r->text.starts_with("NOSCRIPT")) co_return r;
  }
  std::vector<std::string> eval{"EVAL", source_, "0"};
  eval.insert(eval.end(), args.begin(), args.end());
  co_return co_await redis.command(std::move(eval));
}

}  // namespace relay::store::redis::detail
