-- bench_gatewayd_ingest.lua: wrk script for bench_gatewayd.sh. Each
-- request is a batch of 100 valid events with event_ids unique per
-- thread and run (so none is a duplicate), with the original prototype's
-- headers (X-Event-Source: visibility-pipeline) and batch body.
local threads = {}
local run = os.time() % 65536

function setup(thread)
	table.insert(threads, thread)
	thread:set("tid", #threads)
end

local counter = 0

function request()
	local parts = {}
	for i = 1, 100 do
		counter = counter + 1
		parts[i] = string.format('{"event_type":"task_started",' ..
		    '"timestamp":"2026-11-26T16:35:09.123Z",' ..
		    '"event_id":"%04x%04x-0000-4000-8000-%012x","agent_id":"agent-%d",' ..
		    '"agent_name":"coder","agent_role":"worker",' ..
		    '"operation":"write_file","status":"success",' ..
		    '"metadata":{"session_id":"s1","task_id":"t%d"}}',
		    run, tid, counter, counter % 16, counter)
	end
	local body = '{"events":[' .. table.concat(parts, ",") ..
	    '],"batch_id":"bench","timestamp":"2026-11-26T16:35:09.200Z"}'
	return wrk.format("POST", "/api/v1/events/ingest", {
		["Content-Type"] = "application/json",
		["X-Event-Source"] = "visibility-pipeline",
		["X-Event-Count"] = "100",
	}, body)
end

local bad = 0
function response(status, headers, body)
	if status ~= 200 then
		bad = bad + 1
		if bad < 5 then
			io.stderr:write("status " .. status .. ": " .. body .. "\n")
		end
	end
end
