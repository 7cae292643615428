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
  -- The body as fixed pieces with the agent and the time between them, joined by table.concat per
  -- request: the generator's CPU per request is shared with the server and MariaDB on this machine,
  -- so it is kept small (no pattern substitution over the whole body).
  local parts = {'{"engine_type":"docker","agent_id":"', "AGENT", '","ser_cpu_count":4,"ser_cpu_percent":', "CPU",
    '.5,"ser_memory_total":8192,"ser_memory_used":', "USED", ',"ser_memory_percent":50.0,"ser_get_datetime":"', "TIME",
    '","container_stats":['}
  for i = 0, 9 do
    local last = #parts
    parts[last + 1] = (i > 0 and "," or "") .. '{"engine_type":"docker","agent_id":"'
    parts[last + 2] = "AGENT"
    parts[last + 3] = string.format('","node_name":"bench-node","container_name":"container-%d",' ..
      '"status":"running","con_cpu_percent":%d.25,"con_memory_usage":%d.5,"con_memory_percent":1.5,' ..
      '"con_get_datetime":"', i, i, 100 + i)
    parts[last + 4] = "TIME"
    parts[last + 5] = '"}'
  end
  parts[#parts + 1] = "]}"
  body_parts = parts
  agent_at, time_at = {}, {}
  for k, v in ipairs(parts) do
    if v == "AGENT" then agent_at[#agent_at + 1] = k end
    if v == "TIME" then time_at[#time_at + 1] = k end
    if v == "CPU" then cpu_at = k end
    if v == "USED" then used_at = k end
  end
  shown_second = -1
  headers = {["Content-Type"] = "application/json"}
end

function request()
  counter = counter + 1
  local second = math.floor(counter / 50)
  if second ~= shown_second then
    -- A new time every 50 requests only: os.date is the costly call.
    shown_second = second
    sample_time = os.date("%Y-%m-%d %H:%M:%S", first_time + second)
    for _, k in ipairs(time_at) do body_parts[k] = sample_time end
  end
  local agent = "bench-" .. run_id .. "-" .. thread_id .. "-" .. (counter % 50)
  for _, k in ipairs(agent_at) do body_parts[k] = agent end
  body_parts[cpu_at] = tostring(counter % 100)
  body_parts[used_at] = tostring(4096 + counter % 1000)
  headers["Idempotency-Key"] = run_id .. "-" .. thread_id .. "-" .. counter
  return wrk.format("POST", "/monitor_info", headers, table.concat(body_parts))
end
