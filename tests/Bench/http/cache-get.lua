-- wrk script: one cache read per request, keys picked at random from a fixed, pre-populated key space.
--
--   wrk -t2 -c64 -d10s --latency -s cache-get.lua http://HOST/api/v1/cache/ -- [API_KEY] [KEYS]
--
-- The URL's path is the prefix each key is appended to (GET /api/v1/cache/k<i>). API_KEY (optional,
-- "" for none) becomes "Authorization: Bearer API_KEY"; KEYS (default 10000) is how many keys
-- k0..k(KEYS-1) there are: the script that runs wrk writes them all first, so every read is a hit.
-- Every request is formatted once in init(), so request() only picks one: wrk's own cost stays flat.

local requests = {}
local count = 0

local threads_set = 0

function setup(thread)
  thread:set("thread_seed", 7919 * (threads_set + 1))
  threads_set = threads_set + 1
end

function init(args)
  local api_key = args[1] or ""
  local keys = tonumber(args[2] or "10000")
  local headers = {}
  if api_key ~= "" then
    headers["Authorization"] = "Bearer " .. api_key
  end
  for k = 0, keys - 1 do
    requests[k + 1] = wrk.format("GET", wrk.path .. "k" .. k, headers)
  end
  count = keys
  -- Uniform random keys, as redis-benchmark -r does; a different sequence per thread.
  math.randomseed(thread_seed or os.time())
end

function request()
  return requests[math.random(count)]
end
