#include "relay/inspect/error.hpp"
#include "relay/inspect/replayer.hpp"

namespace relay::inspect {

core::Result<ReplayRequest> apply_modifications(const Capture& capture,
                                                const ReplayModifications& mods) {
  if (!mods.body && capture.request_body.truncated) return Errc::capture_truncated;
  ReplayRequest out;
  out.tunnel = mods.tunnel.empty() ? capture.tunnel : mods.tunnel;
  out.method = mods.method.value_or(capture.method);
  out.url = mods.path.value_or(capture.url);
  if (!out.url.empty() && out.url.front() != '/') out.url.insert(0, 1, '/');
  out.headers = mods.headers.value_or(capture.request_headers);
  for (const auto& [name, value] : mods.set_headers) out.headers.set(name, value);
  for (const auto& name : mods.remove_headers) out.headers.erase(name);
  out.body = mods.body.value_or(capture.request_body.data);
  // The pipeline frames the body it sends; a stale length would corrupt a modified request.
  if (mods.body) {
    out.headers.erase("content-length");
    out.headers.erase("transfer-encoding");
  }
  out.resign = mods.resign;
  return out;
}

}  // namespace relay::inspect
