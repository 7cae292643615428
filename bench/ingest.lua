-- wrk script for bench/ingest: every request is a distinct sample of the
-- original's shape with 10 containers and its own Idempotency-Key, so the
-- server does real inserts (identical bodies would only measure the
-- duplicate path).
--   wrk ... -s bench/ingest.lua URL -- RUN_ID [TIME]
-- TIME ("YYYY-MM-DD HH:MM:SS", UTC): the first sample's time (default 2024-09-04 15:30:00); a current
-- one when the samples must be newer than what a prune deletes. Each of a thread's 50 agents sends
-- its samples a second apart from there, as an agent at --interval 1 would: a minute of an agent
-- holds 60 samples, as on a real host, not all of the run's (which would make every rollup of that
-- minute read the whole run again).
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

function init(args)
  counter = 0
  run_id = args[1] or "run"
  local y, mo, d, h, mi, se = (args[2] or "2024-09-04 15:30:00"):match("(%d+)-(%d+)-(%d+) (%d+):(%d+):(%d+)")
  -- os.time and os.date both in local time: the offset cancels out.
  first_time = os.time({year = y, month = mo, day = d, hour = h, min = mi, sec = se})
  local parts = {}
  for i = 0, 9 do
    parts[#parts + 1] = string.format(
      '{"engine_type":"docker","agent_id":"AGENT","node_name":"bench-node","container_name":"container-%d",' ..
      '"status":"running","con_cpu_percent":%d.25,"con_memory_usage":%d.5,"con_memory_percent":1.5,' ..
      '"con_get_datetime":"TIME"}', i, i, 100 + i)
  end
  containers = table.concat(parts, ",")
end

function request()
  counter = counter + 1
  local agent = string.format("bench-%s-%d-%d", run_id, thread_id, counter % 50)
  local sample_time = os.date("%Y-%m-%d %H:%M:%S", first_time + math.floor(counter / 50))
  local body = string.format(
    '{"engine_type":"docker","agent_id":"%s","ser_cpu_count":4,"ser_cpu_percent":%d.5,' ..
    '"ser_memory_total":8192,"ser_memory_used":%d,"ser_memory_percent":50.0,' ..
    '"ser_get_datetime":"%s","container_stats":[%s]}',
    agent, counter % 100, 4096 + counter % 1000, sample_time,
    (containers:gsub("AGENT", agent):gsub("TIME", sample_time)))
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d", run_id, thread_id, counter),
  }
  return wrk.format("POST", "/monitor_info", headers, body)
end
