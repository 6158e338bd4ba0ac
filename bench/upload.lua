-- wrk script: POST 1 MiB bodies to /upload. BENCH_HOST overrides the Host header.
local host = os.getenv("BENCH_HOST")
local body = string.rep("0123456789abcdef", 65536)  -- 1 MiB

wrk.method = "POST"
wrk.path = "/upload"
wrk.body = body
wrk.headers["Content-Type"] = "application/octet-stream"
if host and host ~= "" then wrk.headers["Host"] = host end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d status_errors=%d " ..
    "socket_errors=%d body_bytes=%d\n", summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout, #body))
end
