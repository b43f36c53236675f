-- wrk script for xtask/bench.sh. The first script argument picks the load:
--   code TOKENS CODE THREADS [PAUSE_MS]
--                                the code step (POST /api/v1/login/mfa) of the
--                                pending logins whose session tokens TOKENS
--                                lists, each once, shared among THREADS (wrk's
--                                -t); a thread stops when its share is used up
--   login BODY [PAUSE_MS]        the password step (POST /api/v1/login); each
--                                %n in BODY becomes a number no other request
--                                has, so each attempt is a new username (the
--                                guessing throttle would refuse one name's
--                                eleventh try without hashing it)
--   get [PAUSE_MS]               GET the URL wrk was given
-- PAUSE_MS paces each connection (a probe rather than a flood). At the end it
-- prints one line of key=value: answers by status, latency in microseconds.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode, pause = args[1], 0
  counts, exhausted = {}, 0
  if mode == "code" then
    -- This thread's share: every n-th token, n being the thread count.
    local step = tonumber(args[4])
    tokens, next_token = {}, 1
    local i = 0
    for line in io.lines(args[2]) do
      if i % step == id then table.insert(tokens, line) end
      i = i + 1
    end
    body, pause = '{"code":"' .. args[3] .. '"}', tonumber(args[5] or 0)
  elseif mode == "login" then
    body, pause = args[2], tonumber(args[3] or 0)
  elseif mode == "get" then
    pause = tonumber(args[2] or 0)
  else
    error("bench.lua: unknown mode " .. tostring(mode))
  end
end

function delay()
  return pause
end

local json = { ["Content-Type"] = "application/json" }

function request()
  if mode == "code" then
    local token = tokens[next_token]
    if token == nil then
      -- Used up: a harmless request until the thread stops.
      exhausted = 1
      return wrk.format("GET", "/healthz")
    end
    next_token = next_token + 1
    return wrk.format("POST", "/api/v1/login/mfa",
      { ["Content-Type"] = "application/json", ["Cookie"] = "tessera_session=" .. token }, body)
  elseif mode == "login" then
    sent = (sent or 0) + 1
    return wrk.format("POST", "/api/v1/login", json, (body:gsub("%%n", id .. "x" .. sent)))
  end
  return wrk.format("GET")
end

function response(status, headers, body)
  local key = "s" .. status
  if mode == "code" and exhausted == 1 and body:find('"status":"ok"', 1, true) then
    key = "filler"
    wrk.thread:stop()
  end
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  local used_up = 0
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do total[key] = (total[key] or 0) + n end
    used_up = math.max(used_up, thread:get("exhausted"))
  end
  local line = string.format("seconds=%.3f errors=%d exhausted=%d p50=%d p99=%d max=%d",
    summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    used_up, latency:percentile(50), latency:percentile(99), latency.max)
  for key, n in pairs(total) do line = line .. string.format(" %s=%d", key, n) end
  io.write(line .. "\n")
end
