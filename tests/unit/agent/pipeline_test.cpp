#include "agent/pipeline.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "relay/core/error_page.hpp"
#include "unit/agent/replay_exchange.hpp"

namespace relay::agent {
namespace {

namespace asio = boost::asio;
using test_support::make_exchange;
using test_support::make_tunnel;
using test_support::run_to_end;

// Records when it runs and finishes; answers (with `status`) or passes the exchange on.
class RecordingStep final : public Step {
 public:
  RecordingStep(std::vector<std::string>& log, std::string name, Outcome outcome, int status = 0)
      : log_(log), name_(std::move(name)), outcome_(outcome), status_(status) {}
  asio::awaitable<Outcome> run(Exchange& x) override {
    log_.push_back(name_ + ".run");
    if (status_ != 0) x.status = status_;
    co_return outcome_;
  }
  void finished(Exchange& /*x*/) override { log_.push_back(name_ + ".finished"); }

 private:
  std::vector<std::string>& log_;
  std::string name_;
  Outcome outcome_;
  int status_;
};

TEST(Pipeline, RunsStepsInOrderUntilOneAnswersThenFinishesThemAll) {
  asio::io_context io;
  std::vector<std::string> log;
  Pipeline pipeline;
  pipeline.append(std::make_unique<RecordingStep>(log, "capture", Step::Outcome::next));
  pipeline.append(std::make_unique<RecordingStep>(log, "verify", Step::Outcome::answered, 403));
  pipeline.append(std::make_unique<RecordingStep>(log, "forward", Step::Outcome::answered, 200));
  auto tunnel = make_tunnel();
  auto x = make_exchange(tunnel, "POST", "/hook");
  run_to_end(io, pipeline.run(*x));
  EXPECT_EQ(log, (std::vector<std::string>{"capture.run", "verify.run", "capture.finished",
                                           "verify.finished", "forward.finished"}));
  EXPECT_EQ(x->status, 403);
}

TEST(Pipeline, CountsRequestsAndErrorsOfTheTunnel) {
  asio::io_context io;
  std::vector<std::string> log;
  Pipeline pipeline;
  pipeline.append(std::make_unique<RecordingStep>(log, "forward", Step::Outcome::answered, 200));
  auto tunnel = make_tunnel();
  auto ok = make_exchange(tunnel, "GET", "/");
  run_to_end(io, pipeline.run(*ok));
  EXPECT_EQ(tunnel->requests, 1U);
  EXPECT_EQ(tunnel->errors, 0U);
  EXPECT_EQ(tunnel->open, 0U);

  Pipeline silent;  // nobody answered: the caller left, an error
  auto gone = make_exchange(tunnel, "GET", "/");
  run_to_end(io, silent.run(*gone));
  EXPECT_EQ(tunnel->requests, 2U);
  EXPECT_EQ(tunnel->errors, 1U);

  Pipeline failing;  // relay answered itself (a 502 page): an error too
  failing.append(std::make_unique<RecordingStep>(log, "f", Step::Outcome::answered, 502));
  auto relayed = make_exchange(tunnel, "GET", "/");
  relayed->relay_code = core::error_codes::upstream_failed;
  run_to_end(io, failing.run(*relayed));
  EXPECT_EQ(tunnel->requests, 3U);
  EXPECT_EQ(tunnel->errors, 2U);
  EXPECT_EQ(tunnel->open, 0U);
}

}  // namespace
}  // namespace relay::agent
