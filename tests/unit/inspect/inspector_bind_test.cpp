#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "inspector_fixture.hpp"

namespace relay::inspect::testing {
namespace {

struct Parts {
  asio::io_context io;
  CaptureStore store;
  MemoryTunnels tunnels;
  DeliveringReplayer replayer{store};
};

TEST(InspectorBind, TakesTheNextPortWhenTheFirstIsTaken) {
  Parts p;
  tcp::acceptor taken{p.io, tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0}};
  const auto busy = taken.local_endpoint().port();
  InspectorServer server{p.io.get_executor(),
                         p.store,
                         p.tunnels,
                         p.replayer,
                         {.addr = "127.0.0.1:" + std::to_string(busy)}};
  const auto ep = server.start();
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_GT(ep->port(), busy);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(ep->port()));
}

TEST(InspectorBind, ExplainsABadAddress) {
  Parts p;
  InspectorServer server{
      p.io.get_executor(), p.store, p.tunnels, p.replayer, {.addr = "not-an-ip:80x"}};
  const auto ep = server.start();
  ASSERT_FALSE(ep);
  EXPECT_NE(ep.error().message.find("HOST:PORT"), std::string::npos) << ep.error().message;
}

}  // namespace
}  // namespace relay::inspect::testing
