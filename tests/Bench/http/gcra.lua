-- GCRA rate-limit check as a Redis script: the peer that tests/Bench/http/ratelimit.sh sets Pulse against.
-- Same semantics as Pulse's gcra (redis-cell's): emission interval T = window / limit, tolerance
-- tau = T * burst, one theoretical arrival time (TAT) per key, expiring when it is in the past.
--
--   EVALSHA <sha> 1 <key> <limit> <windowMs> [burst=limit] [cost=1]
--   -> { allowed (1|0), limit, remaining, resetAfterMs, retryAfterMs }
--
-- Time is Redis's own clock (TIME), in microseconds, so the sub-millisecond emission intervals of
-- high limits are not rounded away; the TAT is stored as an integer string to keep every digit.

local limit = tonumber(ARGV[1])
local interval = tonumber(ARGV[2]) * 1000 / limit
local burst = tonumber(ARGV[3] or "0")
if burst <= 0 then
  burst = limit
end
local cost = tonumber(ARGV[4] or "1")
local tolerance = interval * burst

local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

local tat = tonumber(redis.call("GET", KEYS[1]))
if tat == nil or tat < now then
  tat = now
end

local new_tat = tat + interval * cost
local allow_at = new_tat - tolerance

if now < allow_at then
  -- Rejected: the TAT stays, and the answer says when this same request would fit.
  local remaining = math.max(0, math.floor((now - (tat - tolerance)) / interval))
  return { 0, limit, remaining, math.ceil((tat - now) / 1000), math.ceil((allow_at - now) / 1000) }
end

redis.call("SET", KEYS[1], string.format("%.0f", new_tat), "PX", math.ceil((new_tat - now) / 1000))
return { 1, limit, math.floor((now - allow_at) / interval), math.ceil((new_tat - now) / 1000), 0 }
