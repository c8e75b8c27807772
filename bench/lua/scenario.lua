-- One benchmark scenario for wrk; prints its figures as one JSON line.
--
-- wrk ... --script scenario.lua http://127.0.0.1:PORT -- METHOD PATH TOKEN BODY IDS
--   PATH   may contain "{id}", replaced per request by a random entry of IDS;
--   TOKEN  a JWT sent as "Authorization: Bearer TOKEN" ("" for none);
--   BODY   a JSON request body ("" for none);
--   IDS    comma-separated ids for "{id}" ("" for none).
--
-- wrk itself counts only socket errors and statuses above 399; this script counts
-- every response outside 2xx, so a redirect is an error too.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local function split_ids(text)
  local ids = {}
  for id in string.gmatch(text or "", "[^,]+") do
    table.insert(ids, id)
  end
  return ids
end

function init(args)
  math.randomseed(os.time() + thread_number * 7919)
  method = args[1] or "GET"
  path = args[2] or "/"
  ids = split_ids(args[5])
  headers = {["Accept"] = "application/json"}
  if args[3] and args[3] ~= "" then
    headers["Authorization"] = "Bearer " .. args[3]
  end
  if args[4] and args[4] ~= "" then
    body = args[4]
    headers["Content-Type"] = "application/json"
  end
  non2xx = 0
  if #ids == 0 then
    fixed_request = wrk.format(method, path, headers, body)
  end
end

function request()
  if fixed_request then
    return fixed_request
  end
  local id = ids[math.random(#ids)]
  return wrk.format(method, string.gsub(path, "{id}", id), headers, body)
end

function response(status, response_headers, response_body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"non2xx": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "latency_us": {"mean": %.1f, ' ..
    '"p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, non2xx_total,
    e.connect, e.read, e.write, e.timeout, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
