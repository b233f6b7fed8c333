-- wrk script: one multi-key read per request, BATCH random keys of a fixed, pre-populated key space.
--
--   wrk -t2 -c64 -d10s --latency -s cache-mget.lua http://HOST/api/v1/cache/mget -- [API_KEY] [KEYS] [BATCH]
--
-- POST /api/v1/cache/mget {"keys":["k17","k4242",...]} with BATCH (default 100) distinct keys drawn
-- at random from k0..k(KEYS-1) (distinct, since mget answers a key named twice once), so keys/s is
-- exactly requests/s x BATCH. API_KEY and KEYS as in cache-get.lua. 2,000 distinct bodies are formatted
-- once in init(), and request() only picks one, so wrk's own cost stays flat.

local requests = {}
local count = 0
local bodies = 2000

local threads_set = 0

function setup(thread)
  thread:set("thread_seed", 15485863 * (threads_set + 1))
  threads_set = threads_set + 1
end

function init(args)
  local api_key = args[1] or ""
  local keys = tonumber(args[2] or "10000")
  local batch = tonumber(args[3] or "100")
  local headers = { ["Content-Type"] = "application/json" }
  if api_key ~= "" then
    headers["Authorization"] = "Bearer " .. api_key
  end
  math.randomseed(thread_seed or os.time())
  for r = 1, bodies do
    local names, seen = {}, {}
    while #names < batch do
      local k = math.random(keys) - 1
      if not seen[k] then
        seen[k] = true
        names[#names + 1] = '"k' .. k .. '"'
      end
    end
    requests[r] = wrk.format("POST", wrk.path, headers, '{"keys":[' .. table.concat(names, ",") .. ']}')
  end
  count = bodies
end

function request()
  return requests[math.random(count)]
end
