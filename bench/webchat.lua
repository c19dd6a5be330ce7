-- wrk script for bench/intake.py: POST web chat messages, rotating over sessions and texts.
-- Usage: wrk ... -s webchat.lua URL -- SESSIONS_FILE BODIES_FILE THREADS
--   SESSIONS_FILE: one "session_id token" per line; thread i takes every THREADS-th line.
--   BODIES_FILE: one JSON body per line.
-- done() prints one JSON line, prefixed "WRK_RESULT ", with counts and latency percentiles.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(out, line) end
  end
  return out
end

function init(args)
  local nthreads = tonumber(args[3])
  local sessions = lines(args[1])
  bodies = lines(args[2])
  targets = {}
  for i, line in ipairs(sessions) do
    if (i - 1) % nthreads == tid then
      local id, token = line:match("^(%S+)%s+(%S+)$")
      table.insert(targets, {
        path = "/api/v1/webchat/sessions/" .. id .. "/messages",
        headers = {["Authorization"] = "Bearer " .. token,
                   ["Content-Type"] = "application/json"},
      })
    end
  end
  n, b, accepted, other = 0, 0, 0, 0
end

function request()
  n = n % #targets + 1
  b = b % #bodies + 1
  local r = targets[n]
  return wrk.format("POST", r.path, r.headers, bodies[b])
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local acc, oth = 0, 0
  for _, t in ipairs(threads) do
    acc = acc + t:get("accepted")
    oth = oth + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "accepted": %d, "other_status": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, acc, oth, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
