-- wrk script for bench/run: POST generate-link as an application's backend does. Every thread keeps the code of each
-- 200 it received; done() writes them to $BENCH_CODES (when set) so that bench/run can check that each one is stored,
-- and prints the figures as key=value lines.
local token = os.getenv("PASSLINE_TOKEN")
local codes_file = os.getenv("BENCH_CODES")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"expires": 1800, "name": "Bench", "message": {"prompt": "Give me link to login at {name}"}}'

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  other = 0
  codes = {}
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    codes[ok] = body:match('"code":"(%u+)"')
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  local out = codes_file and io.open(codes_file, "w")
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_other = total_other + thread:get("other")
    if out then
      local list = thread:get("codes")
      if #list > 0 then out:write(table.concat(list, "\n"), "\n") end
    end
  end
  if out then out:close() end
  local e = summary.errors
  io.write(string.format("wrk_rps=%.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("wrk_p50_ms=%.2f\nwrk_p99_ms=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("wrk_ok=%d\nwrk_non200=%d\n", total_ok, total_other))
  io.write(string.format("wrk_socket_errors=%d\n", e.connect + e.read + e.write + e.timeout))
end
