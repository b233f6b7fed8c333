-- wrk script: one rate-limit check per request, keys spread over a fixed key space.
--
--   wrk -t2 -c64 -d10s --latency -s ratelimit-check.lua http://HOST/api/v1/ratelimit/check -- [API_KEY] [KEYS]
--
-- API_KEY (optional, "" for none) becomes "Authorization: Bearer API_KEY"; KEYS (default 10000) is how
-- many distinct keys k0..k(KEYS-1) are used, each with limit 100 per 60 s (algorithm default: gcra).
-- Every request is formatted once in init(), so request() only picks one: wrk's own cost stays flat
-- and the server, not the Lua, is what the run measures.

local requests = {}
local count = 0
local next_index = 0
-- A prime stride walks every key before repeating one, so no key is hot and all keys stay in play.
local stride = 7919

-- setup() runs once per thread in wrk's main Lua state, before the threads' own states exist.
local threads_set = 0

function setup(thread)
  -- Threads start at different offsets so they do not send the same key at the same time.
  thread:set("thread_offset", threads_set * 4999)
  threads_set = threads_set + 1
end

function init(args)
  local api_key = args[1] or ""
  local keys = tonumber(args[2] or "10000")
  local headers = { ["Content-Type"] = "application/json" }
  if api_key ~= "" then
    headers["Authorization"] = "Bearer " .. api_key
  end
  for k = 0, keys - 1 do
    local body = string.format('{"key":"k%d","limit":100,"windowMs":60000}', k)
    requests[k + 1] = wrk.format("POST", wrk.path, headers, body)
  end
  count = keys
  next_index = (thread_offset or 0) % count
end

function request()
  next_index = (next_index + stride) % count
  return requests[next_index + 1]
end
