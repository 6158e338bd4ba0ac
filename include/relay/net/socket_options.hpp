#pragma once

#include <boost/asio/ip/tcp.hpp>

namespace relay::net {

// TCP_NODELAY on every socket (Nagle + delayed ACK costs 40 ms a request through a tunnel; we
// coalesce writes ourselves) and TCP keepalive. Errors are ignored: a socket that cannot take
// an option still works.
void tune_socket(boost::asio::ip::tcp::socket& socket);

}  // namespace relay::net
