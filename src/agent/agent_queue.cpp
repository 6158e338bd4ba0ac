// The agent's side of the queue requests (docs/protocol.md § control stream): list_deliveries
// and delivery_command go to the edge on the control stream; the edge answers each with the
// same `request` id. The inspector's /api/deliveries and `relay queue` are built on these.
#include <boost/asio/steady_timer.hpp>

#include "agent/agent_impl.hpp"
#include "relay/inspect/error.hpp"

namespace relay::agent {

namespace asio = boost::asio;
namespace protocol = net::protocol;
using inspect::Errc;

std::string Agent::Impl::next_query_id() { return "q" + std::to_string(++queries_sent_); }

asio::awaitable<core::Result<protocol::ControlMessage>> Agent::Impl::ask_edge(
    protocol::ControlMessage message, std::string request) {
  // Any live link: every edge the agent is on holds the same tunnels' queue (a cluster shares
  // it; separate edges each answer for their own).
  auto* link = live_link();
  if (link == nullptr) co_return core::error_code(Errc::no_session);
  const std::string key = std::move(request);
  auto pending = std::make_shared<PendingQuery>(io_.get_executor());
  pending->link = link;
  queries_[key] = pending;
  link->send(message);
  asio::steady_timer timeout(io_, kQueueTimeout);
  timeout.async_wait([pending](const boost::system::error_code& ec) {
    if (!ec && !pending->finished) {
      pending->finished = true;
      pending->error = core::error_code(Errc::edge_timeout);
      pending->done.notify();
    }
  });
  while (!pending->finished) co_await pending->done.wait();
  timeout.cancel();
  queries_.erase(key);
  if (!pending->answer) co_return pending->error;
  co_return std::move(*pending->answer);
}

bool Agent::Impl::on_queue_answer(const protocol::ControlMessage& message) {
  const std::string* request = nullptr;
  if (const auto* list = std::get_if<protocol::DeliveriesMessage>(&message)) {
    request = &list->request;
  } else if (const auto* result = std::get_if<protocol::DeliveryResultMessage>(&message)) {
    request = &result->request;
  } else {
    return false;
  }
  auto it = queries_.find(*request);
  if (it == queries_.end()) return true;  // too late (timed out) or not ours: dropped
  auto pending = it->second;
  if (!pending->finished) {
    pending->finished = true;
    pending->answer = message;
    pending->done.notify();
  }
  return true;
}

void Agent::Impl::finish_queries(const EdgeLink& link, core::error_code error) {
  for (auto& [id, pending] : queries_) {
    if (pending->finished || pending->link != &link) continue;
    pending->finished = true;
    pending->error = error;
    pending->done.notify();
  }
}

asio::awaitable<core::Result<protocol::DeliveriesMessage>> Agent::Impl::list_deliveries(
    protocol::ListDeliveriesMessage message) {
  message.request = next_query_id();
  auto request = message.request;
  // Named, not a temporary: GCC 12 may destroy temporaries of a co_await expression twice.
  protocol::ControlMessage out = std::move(message);
  auto answer = co_await ask_edge(std::move(out), std::move(request));
  if (!answer) co_return answer.error();
  if (auto* list = std::get_if<protocol::DeliveriesMessage>(&*answer)) co_return std::move(*list);
  // The edge refused the listing (delivery_result with a code): its store failed.
  co_return core::error_code(Errc::queue_unavailable);
}

asio::awaitable<core::Result<protocol::DeliveryResultMessage>> Agent::Impl::delivery_command(
    protocol::DeliveryCommandMessage message) {
  message.request = next_query_id();
  auto request = message.request;
  protocol::ControlMessage out = std::move(message);
  auto answer = co_await ask_edge(std::move(out), std::move(request));
  if (!answer) co_return answer.error();
  if (auto* result = std::get_if<protocol::DeliveryResultMessage>(&*answer)) {
    co_return std::move(*result);
  }
  // A deliveries list answering a command: the edge is confused; say so rather than guess.
  co_return protocol::DeliveryResultMessage{{},
                                            0,
                                            "bad_answer",
                                            "the edge answered a command "
                                            "with a list"};
}

}  // namespace relay::agent
