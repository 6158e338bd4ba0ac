#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "relay/net/h2_session.hpp"

namespace relay::edge {
struct EdgeState;
}

namespace relay::edge::peer {

// cluster: peer link. Serves one stream a peer edge opened on the link: a public request it
// forwarded, into this edge's own agent session for the tunnel, as if it had come in on the
// public port (the tunnel's IP rules, the per-client request cap and the body limit apply here,
// with the original client's address, which only an authenticated peer may state). The answer
// (the app's, or this edge's error page) streams back on the same stream. Never forwards
// again: exactly one hop.
boost::asio::awaitable<void> serve_peer_stream(std::shared_ptr<EdgeState> state,
                                               std::shared_ptr<net::H2Stream> in,
                                               std::string peer_id);

}  // namespace relay::edge::peer
