#pragma once

#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

namespace relay::net {

// RFC 6761 §6.3: "localhost" and every name under ".localhost" are loopback, whatever DNS and
// /etc/hosts say. curl and browsers resolve them so, and the URLs relay prints
// (http://<name>.localhost:8080) rely on it, so relay's own clients do the same.
bool is_localhost_name(std::string_view host);

// ::1 and 127.0.0.1 on `port`: an app may listen on either loopback.
std::vector<boost::asio::ip::tcp::endpoint> loopback_endpoints(unsigned short port);

// Blocking resolution for the command-line clients, loopback for localhost names.
// Throws boost::system::system_error like tcp::resolver::resolve.
std::vector<boost::asio::ip::tcp::endpoint> resolve_blocking(
    boost::asio::ip::tcp::resolver& resolver, const std::string& host, const std::string& port);

}  // namespace relay::net
