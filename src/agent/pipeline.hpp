#pragma once

#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "agent/exchange.hpp"

namespace relay::agent {

// One job in the order DESIGN.md gives: capture → handshake → verify → forward → capture.
class Step {
 public:
  enum class Outcome {
    next,      // pass the exchange on
    answered,  // this step responded (or the caller left): later steps do not run
  };
  virtual ~Step() = default;
  virtual boost::asio::awaitable<Outcome> run(Exchange& exchange) = 0;
  // Called once the exchange is over, however it ended (capture of the response, metrics).
  virtual void finished(Exchange& /*exchange*/) {}
};

// A tunnel's steps, run in order for each request, then one log line per request.
class Pipeline {
 public:
  using Steps = std::vector<std::unique_ptr<Step>>;

  void append(std::unique_ptr<Step> step) { steps_.push_back(std::move(step)); }
  boost::asio::awaitable<void> run(Exchange& exchange);

  // run() in its parts, for a caller that awaits the steps in its own coroutine: a live
  // request (serve_request) then pays for one coroutine frame fewer.
  void begin(Exchange& exchange);
  [[nodiscard]] const Steps& steps() const { return steps_; }
  void end(Exchange& exchange);

 private:
  Steps steps_;
};

}  // namespace relay::agent
