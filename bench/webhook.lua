-- wrk script: POST a ~1.5 KB JSON webhook event. BENCH_HOST overrides the Host header (to reach a
-- tunnel while connecting to 127.0.0.1). done() prints one machine-readable RESULT line.
local host = os.getenv("BENCH_HOST")
local items = {}
for i = 1, 14 do
  items[#items + 1] = string.format(
    '{"sku":"SKU-%04d","name":"Widget number %d","quantity":%d,"price_cents":%d,"tags":["a","b"]}', i, i, i % 5 + 1, 1999 + i)
end
local body = '{"id":"evt_1NqZ9b2eZvKYlo2C8xYz","type":"order.created","created":1700000000,' ..
  '"livemode":false,"data":{"object":{"id":"ord_42","currency":"eur","customer":"cus_9s6XKzkNRiz8i3",' ..
  '"items":[' .. table.concat(items, ",") .. ']}}}'

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "relay-bench"
if host and host ~= "" then wrk.headers["Host"] = host end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d status_errors=%d " ..
    "socket_errors=%d body_bytes=%d\n", summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout, #body))
end
