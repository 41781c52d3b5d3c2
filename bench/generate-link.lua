-- wrk script for bench/run: POST generate-link as an application's backend does. Every thread writes the code of each
-- 200 it received to its own file ($BENCH_CODES.<thread>, in chunks of 4,096); done() gathers them into $BENCH_CODES
-- (when set) so that bench/run can check that each one is stored, and prints the figures as key=value lines.
-- Written as they come rather than kept to the end: a table holding every code of a 20 s run grew the load generator's
-- work with the run, and cost the bare endpoint 3-11% of its throughput and ~1 ms of p99 on 2 cores
-- (docs/performance.md).
local token = os.getenv("PASSLINE_TOKEN")
local codes_file = os.getenv("BENCH_CODES")
local chunk = 4096

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"expires": 1800, "name": "Bench", "message": {"prompt": "Give me link to login at {name}"}}'

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  ok = 0
  other = 0
  pending = {}
  out = codes_file and assert(io.open(codes_file .. "." .. id, "w"))
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    pending[#pending + 1] = body:match('"code":"(%u+)"')
    if #pending == chunk then
      if out then
        out:write(table.concat(pending, "\n"), "\n")
        out:flush()
      end
      pending = {}
    end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  local all = codes_file and assert(io.open(codes_file, "w"))
  for i, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_other = total_other + thread:get("other")
    if all then
      local part_name = codes_file .. "." .. i
      local part = assert(io.open(part_name, "r"))
      all:write(part:read("*a"))
      part:close()
      os.remove(part_name)
      local rest = thread:get("pending")
      if #rest > 0 then all:write(table.concat(rest, "\n"), "\n") end
    end
  end
  if all then all:close() end
  local e = summary.errors
  io.write(string.format("wrk_rps=%.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("wrk_p50_ms=%.2f\nwrk_p99_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("wrk_ok=%d\nwrk_non200=%d\n", total_ok, total_other))
  io.write(string.format("wrk_socket_errors=%d\n", e.connect + e.read + e.write + e.timeout))
end
