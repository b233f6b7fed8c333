-- wrk script: one batch of rate-limit checks per request.
--
--   wrk -t2 -c64 -d10s --latency -s ratelimit-batch.lua http://HOST/api/v1/ratelimit/check-batch -- [API_KEY] [KEYS] [BATCH]
--
-- Each request carries BATCH checks (default 1000, the API's maximum) on distinct keys; the KEYS
-- (default 10000) keys k0..k(KEYS-1) are dealt round-robin over KEYS/BATCH bodies, so every key is
-- checked once per KEYS/BATCH requests. Decisions per second = requests per second x BATCH.
-- Bodies are formatted once in init(); request() only picks one.

local requests = {}
local count = 0
local next_index = 0

-- setup() runs once per thread in wrk's main Lua state, before the threads' own states exist.
local threads_set = 0

function setup(thread)
  thread:set("thread_offset", threads_set)
  threads_set = threads_set + 1
end

function init(args)
  local api_key = args[1] or ""
  local keys = tonumber(args[2] or "10000")
  local batch = tonumber(args[3] or "1000")
  local headers = { ["Content-Type"] = "application/json" }
  if api_key ~= "" then
    headers["Authorization"] = "Bearer " .. api_key
  end
  local bodies = math.max(1, math.floor(keys / batch))
  for b = 0, bodies - 1 do
    local checks = {}
    for j = 0, batch - 1 do
      -- Body b holds keys b, b + bodies, b + 2*bodies, ...: distinct within a body, all keys across bodies.
      local key = (b + j * bodies) % keys
      checks[j + 1] = string.format('{"key":"k%d","limit":100,"windowMs":60000}', key)
    end
    local body = '{"checks":[' .. table.concat(checks, ",") .. ']}'
    requests[b + 1] = wrk.format("POST", wrk.path, headers, body)
  end
  count = bodies
  next_index = (thread_offset or 0) % count
end

function request()
  next_index = (next_index + 1) % count
  return requests[next_index + 1]
end
