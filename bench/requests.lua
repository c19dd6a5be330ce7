-- wrk script: POST requests prepared beforehand (e.g. signed webhooks), cycling over a file.
-- Usage: wrk -tT ... -s requests.lua URL -- REQUESTS_FILE T
--   REQUESTS_FILE: one "path<TAB>headers<TAB>body" per line; headers are "Name: value" pairs
--   joined by the unit separator (\031). Thread i of T sends lines i, i+T, i+2T, ... (so no
--   request goes twice before the file wraps).
-- A 200 or 202 counts as accepted; a workflow run's answer only if the run "completed".
-- done() prints one JSON line, prefixed "WRK_RESULT ", with counts and latency percentiles.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  requests = {}
  for line in io.lines(args[1]) do
    local path, header_list, body = line:match("^([^\t]+)\t([^\t]*)\t(.*)$")
    if path then
      local headers = {}
      for name, value in header_list:gmatch("([^:\031]+): ([^\031]*)") do
        headers[name] = value
      end
      table.insert(requests, wrk.format("POST", path, headers, body))
    end
  end
  stride = tonumber(args[2] or "1")
  n, accepted, other = index - 1, 0, 0
end

function request()
  local r = requests[n % #requests + 1]
  n = n + stride
  return r
end

function response(status, headers, body)
  local ok = status == 200 or status == 202
  if ok and body:find('"instance_id":', 1, true) and not body:find('"status":"completed"', 1, true) then
    ok = false
  end
  if ok then accepted = accepted + 1 else other = other + 1 end
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
