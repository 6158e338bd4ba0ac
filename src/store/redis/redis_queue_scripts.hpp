#pragma once

#include <string>

namespace relay::store::redis::detail {

// cluster: queue. The Lua scripts of RedisDeliveryQueue (docs/cluster.md, "The durable queue in
// Redis"): each multi-key step runs as one script, so no other edge's step runs in between.
// Keys are built inside the scripts from ARGV[1], the key prefix ("relay:"): the queue is for one
// Redis (with replicas and Sentinel), not Redis Cluster, whose slots would need every key
// declared.
//
// Per tunnel T:   <p>q:T          stream, consumer group `edges`: the due-now work, one entry
//                                  {d = delivery id} per delivery; an entry read and not acked
//                                  is in the group's pending list (PEL): leased by that edge
//                 <p>q:T:later    zset id -> Unix ms: retries not yet due (moved into the stream
//                                  when due, by the lease script)
//                 <p>q:T:pending  zset id -> sequence: queued or delivering (max_events, next_due)
//                 <p>q:T:all      zset id -> sequence: every kept delivery (list, stats, expire)
//                 <p>q:T:window   the dedupe window (ms) of the tunnel's last append
// Per delivery:   <p>d:ID         hash: its state, headers, body, attempts, times, stream entry
// Per event id:   <p>ev:T:EVENT   "seen_at id", PX the dedupe window (SET NX PX)
// Shared:         <p>q:seq (INCR), <p>q:tag (the ids' store tag), <p>q:tunnels (tunnels with
//                 kept deliveries), <p>q:busy (tunnels with queued or delivering ones)
// Channel:        <p>q:wake      the tunnel's name, published when a delivery becomes due now
//                                  (an append that is not handed over, a retry)

// Functions every script shares. `F` is the order of a delivery's summary fields in replies
// (RedisDeliveryQueue parses them in the same order); `FULL` adds headers and body.
inline const std::string kQueuePrelude = R"lua(
local P = ARGV[1]
local function qk(t) return P .. 'q:' .. t end
local function dk(id) return P .. 'd:' .. id end
local F = {'tunnel', 'state', 'body_bytes', 'method', 'path', 'event_id', 'received_at',
           'expires_at', 'next_at', 'attempts', 'last_status', 'last_error', 'updated_at', 'seq'}
local FULL = {'tunnel', 'state', 'body_bytes', 'method', 'path', 'event_id', 'received_at',
              'expires_at', 'next_at', 'attempts', 'last_status', 'last_error', 'updated_at',
              'seq', 'headers', 'body'}
local function row(id, fields)
  local out = {id}
  local values = redis.call('HMGET', dk(id), unpack(fields))
  for i = 1, #fields do out[i + 1] = values[i] or '' end
  return out
end
local function ensure_group(stream, group)
  if redis.call('EXISTS', stream) == 0 then
    redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  end
end
-- Out of the stream: acked (and deleted, the stream keeps only work).
local function unstream(stream, group, entry)
  if entry and entry ~= '' then
    redis.call('XACK', stream, group, entry)
    redis.call('XDEL', stream, entry)
  end
end
local function settle(t, id)
  redis.call('ZREM', qk(t) .. ':later', id)
  redis.call('ZREM', qk(t) .. ':pending', id)
  if redis.call('ZCARD', qk(t) .. ':pending') == 0 then redis.call('SREM', P .. 'q:busy', t) end
end
)lua";

// ARGV: prefix, tunnel, group, consumer, headers, body, method, path, event_id, received_at,
// expires_at, max_events, dedupe window ms, leased_until (0: queued), tag candidate, body_bytes.
// Returns {0, id} stored, {1, earlier id} duplicate, {2} full.
inline const std::string kAppendScript = kQueuePrelude + R"lua(
local t, group, consumer = ARGV[2], ARGV[3], ARGV[4]
local event, received, window = ARGV[9], ARGV[10], tonumber(ARGV[13])
local evk = P .. 'ev:' .. t .. ':' .. event
if event ~= '' and window > 0 then
  local seen = redis.call('GET', evk)
  if seen then return {1, string.match(seen, '^%S+ (.*)$') or seen} end
end
local stream = qk(t)
if redis.call('ZCARD', stream .. ':pending') >= tonumber(ARGV[12]) then return {2} end
redis.call('SET', P .. 'q:tag', ARGV[15], 'NX')
local seq = redis.call('INCR', P .. 'q:seq')
local id = redis.call('GET', P .. 'q:tag') .. '-' .. seq
ensure_group(stream, group)
local entry = redis.call('XADD', stream, '*', 'd', id)
local state, attempts, next_at = 'queued', 0, received
if ARGV[14] ~= '0' then
  -- The hand-over: leased by this edge at once, in its pending list, reclaimed if it dies.
  state, attempts, next_at = 'delivering', 1, ARGV[14]
  redis.call('XCLAIM', stream, group, consumer, 0, entry, 'FORCE', 'JUSTID')
end
redis.call('HSET', dk(id), 'tunnel', t, 'state', state, 'headers', ARGV[5], 'body', ARGV[6],
           'body_bytes', ARGV[16], 'method', ARGV[7], 'path', ARGV[8], 'event_id', event,
           'received_at', received, 'expires_at', ARGV[11], 'next_at', next_at,
           'attempts', attempts, 'last_status', 0, 'last_error', '', 'updated_at', received,
           'seq', seq, 'entry', entry)
redis.call('ZADD', stream .. ':pending', seq, id)
redis.call('ZADD', stream .. ':all', seq, id)
redis.call('SADD', P .. 'q:tunnels', t)
redis.call('SADD', P .. 'q:busy', t)
redis.call('SET', stream .. ':window', ARGV[13])
if event ~= '' and window > 0 then
  redis.call('SET', evk, received .. ' ' .. id, 'NX', 'PX', window)
end
-- The edge that holds the tunnel's agent wakes at once (<p>q:wake; its poll is the fallback).
if state == 'queued' then redis.call('PUBLISH', P .. 'q:wake', t) end
return {0, id}
)lua";

// ARGV: prefix, tunnel, group, consumer, max, now, lease_ms, lease end (now + lease_ms).
// Oldest work first: retries now due (moved into the stream and claimed at once), then leases
// that lapsed (a dead edge's: XAUTOCLAIM after lease_ms idle), then entries never read. Returns
// the leased deliveries (FULL rows), sorted by sequence.
inline const std::string kLeaseScript = kQueuePrelude + R"lua(
local t, group, consumer = ARGV[2], ARGV[3], ARGV[4]
local max, now, lease = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local stream = qk(t)
if redis.call('EXISTS', stream) == 0 then return {} end
local out = {}
local function take(id, entry)
  local hk = dk(id)
  redis.call('HINCRBY', hk, 'attempts', 1)
  redis.call('HSET', hk, 'state', 'delivering', 'next_at', ARGV[8], 'updated_at', now,
             'entry', entry)
  redis.call('ZREM', stream .. ':later', id)
  table.insert(out, row(id, FULL))
end
-- What a read entry is: 'take', 'skip' (leased by someone, or in backoff), or 'stale' (its
-- delivery is gone, settled, or has a newer entry).
local function judge(id, entry)
  local st, current = unpack(redis.call('HMGET', dk(id), 'state', 'entry'))
  if not st or current ~= entry or (st ~= 'queued' and st ~= 'delivering') then
    return 'stale'
  end
  if redis.call('ZSCORE', stream .. ':later', id) then return 'skip' end
  return st == 'queued' and 'take' or 'skip'
end
local due = redis.call('ZRANGEBYSCORE', stream .. ':later', '-inf', now, 'LIMIT', 0, max)
for _, id in ipairs(due) do
  redis.call('ZREM', stream .. ':later', id)
  local st = redis.call('HGET', dk(id), 'state')
  if st == 'queued' then
    local entry = redis.call('XADD', stream, '*', 'd', id)
    redis.call('XCLAIM', stream, group, consumer, 0, entry, 'FORCE', 'JUSTID')
    take(id, entry)
  end
end
local cursor = '0-0'
for _ = 1, 10 do
  if #out >= max then break end
  local claimed = redis.call('XAUTOCLAIM', stream, group, consumer, lease, cursor, 'COUNT',
                             max - #out)
  cursor = claimed[1]
  for _, e in ipairs(claimed[2]) do
    local entry, id = e[1], e[2] and e[2][2]
    if id then
      local st, current = unpack(redis.call('HMGET', dk(id), 'state', 'entry'))
      if st and current == entry and (st == 'queued' or st == 'delivering') and
          not redis.call('ZSCORE', stream .. ':later', id) then
        take(id, entry)
      elseif not st or current ~= entry or (st ~= 'queued' and st ~= 'delivering') then
        unstream(stream, group, entry)
      end
    end
  end
  if cursor == '0-0' then break end
end
for _ = 1, 10 do
  if #out >= max then break end
  local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', max - #out,
                          'STREAMS', stream, '>')
  if not read then break end
  local entries = read[1][2]
  if #entries == 0 then break end
  for _, e in ipairs(entries) do
    local entry, id = e[1], e[2] and e[2][2]
    if id then
      local verdict = judge(id, entry)
      if verdict == 'take' then take(id, entry)
      elseif verdict == 'stale' then unstream(stream, group, entry) end
    end
  end
end
table.sort(out, function(a, b) return tonumber(a[15]) < tonumber(b[15]) end)
return out
)lua";

// ARGV: prefix, id, group, outcome ('delivered' | 'queued' | 'dead'), status, error, now,
// retry_at. Nothing for a delivery no longer queued or delivering. Returns 1 done, 0 not.
inline const std::string kSettleScript = kQueuePrelude + R"lua(
local id, group, outcome = ARGV[2], ARGV[3], ARGV[4]
local hk = dk(id)
local t, st, entry = unpack(redis.call('HMGET', hk, 'tunnel', 'state', 'entry'))
if not t or (st ~= 'queued' and st ~= 'delivering') then return 0 end
local stream = qk(t)
unstream(stream, group, entry)
redis.call('HSET', hk, 'state', outcome, 'last_status', ARGV[5], 'last_error', ARGV[6],
           'updated_at', ARGV[7], 'entry', '')
if outcome == 'queued' then
  redis.call('HSET', hk, 'next_at', ARGV[8])
  redis.call('ZADD', stream .. ':later', ARGV[8], id)
  return 1
end
if outcome == 'delivered' then redis.call('HDEL', hk, 'body', 'headers') end
settle(t, id)
return 1
)lua";

// ARGV: prefix, group, now, retention_ms, expired error. Dead-letters queued deliveries past
// expires_at, removes delivered and dead ones older than the retention. Returns the count
// dead-lettered.
inline const std::string kExpireScript = kQueuePrelude + R"lua(
local group, now = ARGV[2], tonumber(ARGV[3])
local cutoff = now - tonumber(ARGV[4])
local expired = 0
for _, t in ipairs(redis.call('SMEMBERS', P .. 'q:tunnels')) do
  local stream = qk(t)
  for _, id in ipairs(redis.call('ZRANGE', stream .. ':pending', 0, -1)) do
    local st, exp, entry = unpack(redis.call('HMGET', dk(id), 'state', 'expires_at', 'entry'))
    if not st then
      redis.call('ZREM', stream .. ':pending', id)
    elseif st == 'queued' and tonumber(exp) <= now then
      unstream(stream, group, entry)
      redis.call('HSET', dk(id), 'state', 'dead', 'last_error', ARGV[5], 'updated_at', ARGV[3],
                 'entry', '')
      settle(t, id)
      expired = expired + 1
    end
  end
  for _, id in ipairs(redis.call('ZRANGE', stream .. ':all', 0, -1)) do
    local st, updated = unpack(redis.call('HMGET', dk(id), 'state', 'updated_at'))
    if not st then
      redis.call('ZREM', stream .. ':all', id)
    elseif (st == 'delivered' or st == 'dead') and tonumber(updated) < cutoff then
      redis.call('DEL', dk(id))
      redis.call('ZREM', stream .. ':all', id)
    end
  end
  if redis.call('ZCARD', stream .. ':pending') == 0 then redis.call('SREM', P .. 'q:busy', t) end
  if redis.call('ZCARD', stream .. ':all') == 0 then redis.call('SREM', P .. 'q:tunnels', t) end
end
return expired
)lua";

// ARGV: prefix, tunnel. The earliest next_at of the tunnel's queued or delivering deliveries
// (queued: due from then; delivering: the lease's end), as a string; false when none.
inline const std::string kNextDueScript = kQueuePrelude + R"lua(
local due = false
for _, id in ipairs(redis.call('ZRANGE', qk(ARGV[2]) .. ':pending', 0, -1)) do
  local at = tonumber(redis.call('HGET', dk(id), 'next_at'))
  if at and (not due or at < due) then due = at end
end
if not due then return false end
return string.format('%d', due)
)lua";

// ARGV: prefix, tunnel ('' every tunnel), state ('' every state), limit. Summary rows, newest
// first per tunnel (the caller merges tunnels by sequence).
inline const std::string kListScript = kQueuePrelude + R"lua(
local tunnels = {ARGV[2]}
if ARGV[2] == '' then tunnels = redis.call('SMEMBERS', P .. 'q:tunnels') end
local limit = tonumber(ARGV[4])
local out = {}
for _, t in ipairs(tunnels) do
  local n = 0
  for _, id in ipairs(redis.call('ZREVRANGE', qk(t) .. ':all', 0, -1)) do
    if n >= limit then break end
    local r = row(id, F)
    if r[2] ~= '' and (ARGV[3] == '' or r[3] == ARGV[3]) then
      table.insert(out, r)
      n = n + 1
    end
  end
end
return out
)lua";

// ARGV: prefix, now, group. A dead delivery queued again, due now, attempts reset, in a new
// stream entry. Returns 1, or 0 (no such id, or not dead).
inline const std::string kRetryScript = kQueuePrelude + R"lua(
local id, now, group = ARGV[2], ARGV[3], ARGV[4]
local t, st, seq = unpack(redis.call('HMGET', dk(id), 'tunnel', 'state', 'seq'))
if not t or st ~= 'dead' then return 0 end
local stream = qk(t)
ensure_group(stream, group)
local entry = redis.call('XADD', stream, '*', 'd', id)
redis.call('HSET', dk(id), 'state', 'queued', 'attempts', 0, 'next_at', now, 'updated_at', now,
           'entry', entry)
redis.call('ZADD', stream .. ':pending', seq, id)
redis.call('SADD', P .. 'q:busy', t)
redis.call('PUBLISH', P .. 'q:wake', t)
return 1
)lua";

// ARGV: prefix, group, tunnel, id ('' : every delivery of the tunnel), state ('' every state
// but delivering). Removes deliveries that are not delivering. Returns how many.
inline const std::string kRemoveScript = kQueuePrelude + R"lua(
local group, t = ARGV[2], ARGV[3]
local ids = {ARGV[4]}
if ARGV[4] == '' then ids = redis.call('ZRANGE', qk(t) .. ':all', 0, -1) end
local removed = 0
for _, id in ipairs(ids) do
  local tunnel, st, entry = unpack(redis.call('HMGET', dk(id), 'tunnel', 'state', 'entry'))
  if tunnel and st ~= 'delivering' and (ARGV[5] == '' or st == ARGV[5]) then
    unstream(qk(tunnel), group, entry)
    settle(tunnel, id)
    redis.call('ZREM', qk(tunnel) .. ':all', id)
    redis.call('DEL', dk(id))
    removed = removed + 1
    if redis.call('ZCARD', qk(tunnel) .. ':all') == 0 then
      redis.call('SREM', P .. 'q:tunnels', tunnel)
    end
  end
end
return removed
)lua";

// ARGV: prefix. Per tunnel: {tunnel, queued, delivering, delivered, dead, oldest queued ms,
// queued bytes}.
inline const std::string kStatsScript = kQueuePrelude + R"lua(
local out = {}
for _, t in ipairs(redis.call('SMEMBERS', P .. 'q:tunnels')) do
  local c = {queued = 0, delivering = 0, delivered = 0, dead = 0}
  local oldest, bytes = 0, 0
  for _, id in ipairs(redis.call('ZRANGE', qk(t) .. ':all', 0, -1)) do
    local st, size, received = unpack(redis.call('HMGET', dk(id), 'state', 'body_bytes',
                                                 'received_at'))
    if st and c[st] then
      c[st] = c[st] + 1
      if st == 'queued' then
        bytes = bytes + tonumber(size)
        local at = tonumber(received)
        if oldest == 0 or at < oldest then oldest = at end
      end
    end
  end
  if c.queued + c.delivering + c.delivered + c.dead > 0 then
    table.insert(out, {t, c.queued, c.delivering, c.delivered, c.dead,
                       string.format('%d', oldest), bytes})
  end
end
return out
)lua";

// ARGV: prefix, tunnel, event id, "seen_at id", default window ms. A live request's event id,
// remembered for the tunnel's dedupe window.
inline const std::string kRememberScript = kQueuePrelude + R"lua(
local window = tonumber(redis.call('GET', qk(ARGV[2]) .. ':window') or ARGV[5])
if window and window > 0 then
  redis.call('SET', P .. 'ev:' .. ARGV[2] .. ':' .. ARGV[3], ARGV[4], 'PX', window)
end
return 1
)lua";

}  // namespace relay::store::redis::detail
