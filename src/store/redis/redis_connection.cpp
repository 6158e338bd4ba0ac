#include "relay/store/redis/redis_connection.hpp"

#include <algorithm>
#include <array>
#include <tuple>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "relay/store/error.hpp"
#include "store/redis/redis_tls.hpp"

namespace relay::store::redis {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);

// A message pushed to a subscribed client: ["message", channel, payload] (RESP2). Nothing else
// a subscribed client is sent has that shape: its commands' replies are ["subscribe", ...] and
// ["pong", ...].
bool is_pushed_message(const RedisReply& reply) {
  return reply.type == RedisReply::Type::array && reply.elements.size() == 3 &&
         reply.elements[0].text == "message";
}

}  // namespace

// A command issued and not yet answered. Its timer is both the timeout and the wake-up: the
// reader completes it and cancels the timer.
struct RedisConnection::Pending {
  explicit Pending(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<core::Result<RedisReply>> result;
  void complete(core::Result<RedisReply> r) {
    if (result) return;  // timed out already: the late reply is dropped
    result = std::move(r);
    timer.cancel();
  }
};

// One TCP connection: its socket, what waits to be written, and the writer's wake-up.
struct RedisConnection::Link {
  explicit Link(const asio::any_io_executor& ex)
      : socket(ex),
        wake(ex, asio::steady_timer::time_point::max()),
        closed_signal(ex, asio::steady_timer::time_point::max()) {}
  tcp::socket socket;
  // rediss://: TLS over the connected socket (moved into it); plain redis:// reads and writes
  // the socket itself and pays nothing for this.
  std::unique_ptr<RedisTlsStream> tls;
  tcp::socket& tcp_socket() { return tls ? tls->next_layer() : socket; }
  void close_socket() {
    boost::system::error_code ignored;
    tcp_socket().close(ignored);
  }
  asio::steady_timer wake;           // the writer's: more to write, or closed
  asio::steady_timer closed_signal;  // run()'s: the link closed
  std::string out;
  bool closed = false;
  void notify() { wake.cancel(); }
};

std::shared_ptr<RedisConnection> RedisConnection::create(asio::any_io_executor ex,
                                                         RedisClientOptions options) {
  return std::shared_ptr<RedisConnection>(new RedisConnection(std::move(ex), std::move(options)));
}

RedisConnection::RedisConnection(asio::any_io_executor ex, RedisClientOptions options)
    : executor_(std::move(ex)),
      options_(std::move(options)),
      tls_(options_.endpoint.tls ? make_redis_tls_context(options_.endpoint) : nullptr),
      backoff_timer_(executor_) {}

RedisConnection::~RedisConnection() = default;

void RedisConnection::subscribe(std::string channel,
                                std::function<void(std::string_view message)> on_message) {
  channel_ = std::move(channel);
  on_message_ = std::move(on_message);
}

void RedisConnection::start() {
  if (started_) return;
  started_ = true;
  asio::co_spawn(
      executor_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void RedisConnection::stop() {
  stopped_ = true;
  backoff_timer_.cancel();
  drop("the client was stopped");
  available_ = false;
}

std::shared_ptr<RedisConnection::Pending> RedisConnection::enqueue(
    const std::vector<std::string>& args, bool internal) {
  auto pending = std::make_shared<Pending>(executor_);
  if (!link_ || link_->closed || (!internal && !available_)) {
    pending->result = core::Result<RedisReply>(make_error_code(Errc::unavailable));
    return pending;
  }
  pending->timer.expires_after(options_.command_timeout);
  link_->out += encode_command(args);
  in_flight_.push_back(pending);
  link_->notify();
  return pending;
}

asio::awaitable<core::Result<RedisReply>> RedisConnection::await_reply(
    std::shared_ptr<Pending> pending) {
  if (!pending->result) {
    co_await pending->timer.async_wait(kAwaitable);
    if (!pending->result) {
      // No answer in time: the server or the path to it is stuck, and every later reply on
      // this connection would wait behind this one. Start over on a fresh connection.
      pending->result = core::Result<RedisReply>(make_error_code(Errc::unavailable));
      drop(fmt::format("no reply within {} ms", options_.command_timeout.count()));
    }
  }
  co_return *pending->result;
}

asio::awaitable<core::Result<RedisReply>> RedisConnection::command(std::vector<std::string> args) {
  auto pending = enqueue(args, false);
  co_return co_await await_reply(std::move(pending));
}

asio::awaitable<std::vector<core::Result<RedisReply>>> RedisConnection::pipeline(
    std::vector<std::vector<std::string>> commands) {
  std::vector<std::shared_ptr<Pending>> pending;
  pending.reserve(commands.size());
  for (const auto& c : commands) pending.push_back(enqueue(c, false));
  std::vector<core::Result<RedisReply>> out;
  out.reserve(pending.size());
  for (auto& p : pending) out.push_back(co_await await_reply(p));
  co_return out;
}

asio::awaitable<bool> RedisConnection::wait_available(std::chrono::milliseconds limit) {
  constexpr std::chrono::milliseconds kStep{25};
  asio::steady_timer timer(executor_);
  for (auto waited = std::chrono::milliseconds(0); !available_ && !stopped_ && waited < limit;
       waited += kStep) {
    timer.expires_after(kStep);
    co_await timer.async_wait(kAwaitable);
  }
  co_return available_;
}

void RedisConnection::set_available(bool up, const std::string& why) {
  if (up) {
    available_ = true;
    reported_down_ = false;
    if (on_availability) on_availability(true, "");
    return;
  }
  const bool was_up = available_;
  available_ = false;
  last_error_ = why;
  // One report per outage: the first failed connect, or the loss of a working link.
  if ((was_up || !reported_down_) && !stopped_) {
    reported_down_ = true;
    if (on_availability) on_availability(false, why);
  }
}

void RedisConnection::drop(const std::string& why) {
  if (link_ && !link_->closed) {
    link_->closed = true;
    link_->close_socket();
    link_->notify();
    link_->closed_signal.cancel();
    if (!why.empty()) last_error_ = why;
  }
  auto failed = std::move(in_flight_);
  in_flight_.clear();
  for (auto& p : failed) p->complete(core::Result<RedisReply>(make_error_code(Errc::unavailable)));
}

asio::awaitable<void> RedisConnection::run() {
  auto self = shared_from_this();
  auto delay = options_.backoff_initial;
  while (!stopped_) {
    std::string failed = co_await connect_once();
    if (stopped_) break;
    if (failed.empty()) {
      delay = options_.backoff_initial;
      set_available(true, "");
      // Up until the link closes (its reader or writer failed, a command timed out); then it
      // is a failure like any other.
      auto link = link_;
      if (!link->closed) co_await link->closed_signal.async_wait(kAwaitable);
      if (stopped_) break;
      failed = last_error_.empty() ? std::string("the connection closed") : last_error_;
    }
    drop(failed);
    set_available(false, failed);
    backoff_timer_.expires_after(delay);
    co_await backoff_timer_.async_wait(kAwaitable);
    delay = std::min(delay * 2, options_.backoff_max);
  }
  co_return;
}

asio::awaitable<std::string> RedisConnection::connect_once() {
  const auto& ep = options_.endpoint;
  auto link = std::make_shared<Link>(executor_);
  link_ = link;
  // The connect and the handshake share one deadline; expiring, it closes the socket, which
  // fails whatever step is waiting.
  asio::steady_timer deadline(executor_);
  deadline.expires_after(options_.connect_timeout);
  auto timed_out_flag = std::make_shared<bool>(false);
  const bool& timed_out = *timed_out_flag;
  deadline.async_wait([self = shared_from_this(), link, timed_out_flag,
                       limit = options_.connect_timeout](const boost::system::error_code& ec) {
    if (ec) return;
    *timed_out_flag = true;
    const std::string why =
        fmt::format("Redis at {} did not answer within {} ms (connect, AUTH, SELECT)",
                    self->options_.endpoint.display(), limit.count());
    if (self->link_ == link) {
      self->drop(why);  // fails the handshake's commands with this reason
    } else {
      link->close_socket();
    }
  });
  tcp::resolver resolver(executor_);
  auto [rec, results] =
      co_await resolver.async_resolve(ep.host, std::to_string(ep.port), kAwaitable);
  if (rec) {
    deadline.cancel();
    co_return fmt::format("cannot resolve {}: {}", ep.host, rec.message());
  }
  auto [cec, endpoint] = co_await asio::async_connect(link->socket, results, kAwaitable);
  if (cec || timed_out) {
    deadline.cancel();
    link->closed = true;
    link->closed_signal.cancel();
    co_return timed_out ? fmt::format("connect to {} timed out after {} ms", ep.display(),
                                      options_.connect_timeout.count())
                        : fmt::format("cannot connect to {}: {}", ep.display(), cec.message());
  }
  boost::system::error_code ignored;
  link->socket.set_option(tcp::no_delay(true), ignored);
  if (tls_) {
    // rediss://: the handshake runs under the same deadline as the connect.
    link->tls = std::make_unique<RedisTlsStream>(std::move(link->socket), *tls_);
    prepare_redis_tls_stream(*link->tls, ep.host);
    auto [hec] = co_await link->tls->async_handshake(asio::ssl::stream_base::client, kAwaitable);
    if (hec || timed_out) {
      deadline.cancel();
      link->closed = true;
      link->close_socket();
      link->closed_signal.cancel();
      co_return timed_out ? fmt::format("TLS handshake with Redis at {} timed out after {} ms",
                                        ep.display(), options_.connect_timeout.count())
                          : describe_redis_tls_error(hec, *link->tls, ep);
    }
  }
  asio::co_spawn(
      executor_, [self = shared_from_this(), link]() { return self->write_loop(link); },
      asio::detached);
  // The reader must run for the handshake's replies; it lives as long as the link.
  asio::co_spawn(
      executor_, [self = shared_from_this(), link]() { return self->read_loop(link); },
      asio::detached);
  std::string failed = co_await handshake();
  deadline.cancel();
  if (failed.empty() && timed_out) {
    failed = fmt::format("Redis at {} did not answer AUTH/SELECT within {} ms", ep.display(),
                         options_.connect_timeout.count());
  }
  if (!failed.empty()) {
    drop(failed);
    co_return failed;
  }
  co_return std::string();
}

asio::awaitable<std::string> RedisConnection::handshake() {
  const auto& ep = options_.endpoint;
  std::vector<std::shared_ptr<Pending>> steps;
  std::vector<std::string> names;
  if (!ep.password.empty()) {
    steps.push_back(enqueue({"AUTH", ep.password}, true));
    names.emplace_back("AUTH");
  }
  if (ep.db != 0) {
    steps.push_back(enqueue({"SELECT", std::to_string(ep.db)}, true));
    names.emplace_back("SELECT");
  }
  steps.push_back(enqueue({"PING"}, true));
  names.emplace_back("PING");
  if (!channel_.empty()) {
    steps.push_back(enqueue({"SUBSCRIBE", channel_}, true));  // last: it ends plain commands
    names.emplace_back("SUBSCRIBE");
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto r = co_await await_reply(steps[i]);
    if (!r) {
      co_return last_error_.empty()
          ? fmt::format("Redis at {} closed the connection during {}", ep.display(), names[i])
          : last_error_;
    }
    if (r->is_error()) {
      // The password is never part of the message; Redis's own error text does not hold it.
      co_return fmt::format("Redis at {} refused {}: {}", ep.display(), names[i], r->text);
    }
  }
  co_return std::string();
}

asio::awaitable<void> RedisConnection::write_loop(std::shared_ptr<Link> link) {
  while (!link->closed) {
    if (link->out.empty()) {
      link->wake.expires_at(asio::steady_timer::time_point::max());
      co_await link->wake.async_wait(kAwaitable);
      continue;
    }
    // Everything queued goes in one write: pipelined commands cost one syscall, not one each.
    std::string batch;
    batch.swap(link->out);
    std::tuple<boost::system::error_code, std::size_t> written;
    if (link->tls) {
      written = co_await asio::async_write(*link->tls, asio::buffer(batch), kAwaitable);
    } else {
      written = co_await asio::async_write(link->socket, asio::buffer(batch), kAwaitable);
    }
    auto [ec, n] = written;
    if (ec) {
      if (link == link_) drop(fmt::format("write to Redis failed: {}", ec.message()));
      co_return;
    }
  }
}

asio::awaitable<void> RedisConnection::read_loop(std::shared_ptr<Link> link) {
  ReplyDecoder decoder;
  std::array<char, 16 * 1024> buffer{};
  while (!link->closed) {
    std::tuple<boost::system::error_code, std::size_t> read;
    if (link->tls) {
      read = co_await link->tls->async_read_some(asio::buffer(buffer), kAwaitable);
    } else {
      read = co_await link->socket.async_read_some(asio::buffer(buffer), kAwaitable);
    }
    auto [ec, n] = read;
    if (ec) {
      if (link == link_ && !link->closed) {
        drop(ec == asio::error::eof ? "Redis closed the connection"
                                    : fmt::format("read from Redis failed: {}", ec.message()));
      }
      co_return;
    }
    decoder.feed(std::string_view(buffer.data(), n));
    while (true) {
      auto reply = decoder.next();
      if (!reply) {
        if (link == link_) drop("Redis sent bytes that are not RESP: " + reply.error().message);
        co_return;
      }
      if (!*reply) break;  // the rest of the next reply has not arrived yet
      if (!channel_.empty() && is_pushed_message(**reply)) {
        if (link == link_ && on_message_) on_message_((*reply)->elements[2].text);
        continue;
      }
      if (in_flight_.empty()) {
        if (link == link_) drop("Redis sent a reply nobody asked for");
        co_return;
      }
      auto pending = std::move(in_flight_.front());
      in_flight_.pop_front();
      pending->complete(std::move(**reply));
    }
  }
}

}  // namespace relay::store::redis
