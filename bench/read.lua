-- wrk script for bench/read: one kind of read per run, the agent and container of each request
-- drawn at random, so requests do not all meet the same cached pages.
--   wrk ... -s bench/read.lua URL -- KIND AGENTS NAMES FROM TO [STEP]
-- KIND: agents, containers, containers_agent, host, container, metrics. AGENTS: how many (the
-- fill's agent-01 ... agent-NN). NAMES: the containers' names, comma-separated. FROM, TO: the
-- series' range, seconds since the epoch. STEP: the series' step, or "-" for the default.
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

function init(args)
  kind = args[1]
  agents = tonumber(args[2])
  names = {}
  for name in string.gmatch(args[3], "[^,]+") do names[#names + 1] = name end
  range = string.format("from=%s&to=%s", args[4], args[5])
  if args[6] and args[6] ~= "-" then range = range .. "&step=" .. args[6] end
  math.randomseed(os.time() * 100 + thread_id)
end

local function agent()
  return string.format("agent-%02d", math.random(agents))
end

function request()
  local path
  if kind == "agents" then
    path = "/api/v1/agents"
  elseif kind == "containers" then
    path = "/api/v1/containers"
  elseif kind == "containers_agent" then
    path = "/api/v1/containers?agent_id=" .. agent()
  elseif kind == "host" then
    path = "/api/v1/agents/" .. agent() .. "/host?" .. range
  elseif kind == "container" then
    path = "/api/v1/agents/" .. agent() .. "/containers/" .. names[math.random(#names)] .. "/series?" .. range
  elseif kind == "metrics" then
    path = "/metrics"
  else
    error("unknown kind " .. tostring(kind))
  end
  return wrk.format("GET", path)
end
