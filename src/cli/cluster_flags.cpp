#include "cli/cluster_flags.hpp"

#include <unistd.h>

#include <array>

#include "relay/edge/peer_address.hpp"
#include "relay/store/redis/redis_url.hpp"
#include "relay/verify/secret.hpp"

namespace relay::cli {

namespace {

bool valid_edge_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 &&
         id.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
             std::string::npos;
}

std::string hostname() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0) return "";
  return buffer.data();
}

}  // namespace

void add_cluster_flags(CLI::App& cmd, ClusterFlags& f) {
  cmd.add_option("--cluster", f.redis_url,
                 "Join a cluster of edges sharing one Redis: redis://[:PASSWORD@]HOST:PORT/DB "
                 "(the password may be env:NAME or file:PATH). Tunnel name owners and which "
                 "edge holds which tunnel live there (docs/cluster.md)");
  cmd.add_option("--edge-id", f.edge_id,
                 "This edge's name in the cluster (letters, digits, '.', '_', '-'; default: the "
                 "hostname)");
  cmd.add_option("--cluster-secret", f.secret,
                 "Secret the cluster's edges share to authenticate each other: env:NAME or "
                 "file:PATH (required with --cluster)");
  // cluster: peer link
  cmd.add_option("--peer-listen", f.peer_listen,
                 "Port for the cluster's other edges (TLS with this edge's certificate, "
                 "authenticated by the cluster secret): requests for tunnels held by another "
                 "edge are forwarded over it. HOST:PORT; needs --cluster");
  cmd.add_option("--peer-advertise", f.peer_advertise,
                 "The HOST:PORT other edges dial to reach --peer-listen (default: the "
                 "--peer-listen address; required when that is 0.0.0.0 or ::)");
}

namespace {

// cluster: peer link. --peer-listen / --peer-advertise, checked once the cluster is known.
void apply_peer_flags(const ClusterFlags& f, edge::ClusterOptions& cluster) {
  if (f.peer_listen) cluster.peer_listen = *f.peer_listen;
  if (f.peer_advertise) cluster.peer_advertise = *f.peer_advertise;
  if (cluster.peer_listen.empty()) {
    if (!cluster.peer_advertise.empty()) {
      throw CLI::ValidationError("--peer-advertise", "--peer-advertise needs --peer-listen");
    }
    return;
  }
  if (cluster.redis_url.empty()) {
    throw CLI::ValidationError("--peer-listen",
                               "--peer-listen links the edges of a cluster; it needs --cluster "
                               "redis://HOST:PORT/DB and --cluster-secret");
  }
  auto advertised = edge::peer::advertised_address(cluster.peer_listen, cluster.peer_advertise);
  if (!advertised) throw CLI::ValidationError("--peer-listen", advertised.error().message);
  cluster.peer_advertise = advertised->to_string();
}

}  // namespace

void apply_cluster_flags(const ClusterFlags& f, edge::EdgeOptions& options) {
  auto& cluster = options.cluster;
  if (f.redis_url) cluster.redis_url = *f.redis_url;
  if (f.edge_id) cluster.edge_id = *f.edge_id;
  if (f.secret) cluster.secret = *f.secret;
  apply_peer_flags(f, cluster);  // cluster: peer link
  if (cluster.redis_url.empty()) {
    if (!cluster.secret.empty() || !cluster.edge_id.empty()) {
      throw CLI::ValidationError("--cluster",
                                 "--edge-id and --cluster-secret only mean something with "
                                 "--cluster redis://HOST:PORT/DB");
    }
    return;
  }
  auto endpoint = store::redis::parse_redis_url(cluster.redis_url);
  if (!endpoint) throw CLI::ValidationError("--cluster", endpoint.error().message);
  if (!endpoint->password.empty()) {
    // A literal password stays as given; env:NAME / file:PATH are read now.
    auto password = verify::resolve_secret(endpoint->password);
    if (!password) {
      throw CLI::ValidationError("--cluster", "the Redis password: " + password.error().message);
    }
    cluster.redis_password = *password;
  }
  if (cluster.secret.empty()) {
    throw CLI::ValidationError("--cluster-secret",
                               "--cluster needs --cluster-secret env:NAME or file:PATH (a secret "
                               "every edge of the cluster shares; e.g. `openssl rand -hex 32`)");
  }
  if (!cluster.secret.starts_with("env:") && !cluster.secret.starts_with("file:")) {
    throw CLI::ValidationError("--cluster-secret",
                               "give the secret as env:NAME or file:PATH, not in the clear (a "
                               "flag's value shows in ps)");
  }
  auto secret = verify::resolve_secret(cluster.secret);
  if (!secret) throw CLI::ValidationError("--cluster-secret", secret.error().message);
  if (secret->empty()) throw CLI::ValidationError("--cluster-secret", "the secret is empty");
  cluster.secret = *secret;
  if (cluster.edge_id.empty()) cluster.edge_id = hostname();
  if (!valid_edge_id(cluster.edge_id)) {
    throw CLI::ValidationError("--edge-id", "'" + cluster.edge_id +
                                                "' is not an edge id; use 1-64 letters, digits, "
                                                "'.', '_' or '-'");
  }
}

}  // namespace relay::cli
