-- wrk script for bench/workflows.py: POST pre-signed webhook requests, cycling over a file.
-- Usage: wrk ... -s webhooks.lua URL -- REQUESTS_FILE
--   REQUESTS_FILE: one "path<TAB>signature<TAB>json body" per line (signature may be "-").
-- A 200 or 202 counts as accepted; for a workflow, only if the run "completed".
-- done() prints one JSON line, prefixed "WRK_RESULT ", with counts and latency percentiles.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  for line in io.lines(args[1]) do
    local path, signature, body = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
    if path then
      local headers = {["Content-Type"] = "application/json"}
      if signature ~= "-" then headers["X-Frontdesk-Signature"] = signature end
      table.insert(requests, wrk.format("POST", path, headers, body))
    end
  end
  n, accepted, other = math.random(#requests), 0, 0
end

function request()
  n = n % #requests + 1
  return requests[n]
end

function response(status, headers, body)
  local ok = status == 200 or status == 202
  if ok and body:find('"status":"', 1, true) and not body:find('"status":"completed"', 1, true) then
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
