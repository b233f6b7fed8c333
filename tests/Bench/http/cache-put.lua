-- wrk script: one cache write per request, keys picked at random from a fixed key space.
--
--   wrk -t2 -c64 -d10s --latency -s cache-put.lua http://HOST/api/v1/cache/ -- [API_KEY] [KEYS] [VALUE_BYTES]
--
-- PUT /api/v1/cache/k<i> with a JSON string of VALUE_BYTES bytes (default 100, quotes included) as the
-- value: the same size as redis-benchmark -d VALUE_BYTES. No ttl, memory only (the defaults), like a
-- plain Redis SET. API_KEY and KEYS as in cache-get.lua. Requests are formatted once in init().

local requests = {}
local count = 0

local threads_set = 0

function setup(thread)
  thread:set("thread_seed", 104729 * (threads_set + 1))
  threads_set = threads_set + 1
end

function init(args)
  local api_key = args[1] or ""
  local keys = tonumber(args[2] or "10000")
  local value_bytes = tonumber(args[3] or "100")
  local headers = { ["Content-Type"] = "application/json" }
  if api_key ~= "" then
    headers["Authorization"] = "Bearer " .. api_key
  end
  local body = '"' .. string.rep("x", value_bytes - 2) .. '"'
  for k = 0, keys - 1 do
    requests[k + 1] = wrk.format("PUT", wrk.path .. "k" .. k, headers, body)
  end
  count = keys
  math.randomseed(thread_seed or os.time())
end

function request()
  return requests[math.random(count)]
end
