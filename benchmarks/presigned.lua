-- wrk script: sends the complete requests benchmarks/presign.py wrote (NUL-separated), each once, so every request
-- is unique and signed before the clock starts; the URL given to wrk must be the one they were written for.
--
--   PRESIGNED=PREFIX PRESIGNED_THREADS=2 PRESIGNED_LABEL=LABEL wrk -t2 -c64 -d10s -s benchmarks/presigned.lua URL
--
-- Thread i reads PREFIX.i (environment variables, because done() runs in a Lua state that gets no arguments). At
-- the end it prints one JSON line like relay-load's: the rate of answers below 400 (wrk counts status > 399 as
-- errors; the receiver answers 204, or 200 for a duplicate), latency percentiles (wrk's, after its own correction
-- for closed loop), wrk's error counts, `sent`, and `wrapped`: how often a thread ran out of requests and started
-- over (then it sent duplicates, which the receiver answers cheaply, so such a result flatters it).

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local requests = {}
local index = 0
local started = false
local verified = false
local prefix = os.getenv("PRESIGNED")
local thread_count = tonumber(os.getenv("PRESIGNED_THREADS") or "2")

function init(_)
   local file = assert(io.open(prefix .. "." .. id, "rb"))
   local data = file:read("*a")
   file:close()
   local from = 1
   while true do
      local nul = string.find(data, "\0", from, true)
      if not nul then break end
      requests[#requests + 1] = string.sub(data, from, nul - 1)
      from = nul + 1
   end
   data = nil
   collectgarbage()
   wrapped = 0
   sent = 0
   local ready = assert(io.open(prefix .. ".ready." .. id, "w"))
   ready:close()
end

-- Threads start sending as soon as they are created, while the next one is still building its requests, and
-- wrk's clock starts only after the last: so each waits until every thread is ready.
local function wait_for_all()
   while true do
      local missing = false
      for i = 0, thread_count - 1 do
         local f = io.open(prefix .. ".ready." .. i, "r")
         if f then f:close() else missing = true end
      end
      if not missing then return end
      os.execute("sleep 0.02")
   end
end

function request()
   if not started then
      -- wrk's main thread calls thread 0's request() once, to check the request parses, before it creates any
      -- other thread: that call must not wait, and its request is not sent.
      if id == 0 and not verified then
         verified = true
         return requests[1]
      end
      wait_for_all()
      started = true
   end
   index = index + 1
   if index > #requests then
      index = 1
      wrapped = wrapped + 1
   end
   sent = sent + 1
   return requests[index]
end

function done(summary, latency, _)
   local wraps, sent_total = 0, 0
   for _, thread in ipairs(threads) do
      wraps = wraps + (thread:get("wrapped") or 0)
      sent_total = sent_total + (thread:get("sent") or 0)
   end
   local seconds = summary.duration / 1e6
   local e = summary.errors
   local ok = summary.requests - e.status
   local label = os.getenv("PRESIGNED_LABEL") or "wrk"
   io.write(string.format(
      '{"label":%q,"generator":"wrk","seconds":%.2f,"requests":%d,"ok":%d,"rate":%.1f,' ..
      '"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"p999_ms":%.2f,' ..
      '"errors":{%s},"sent":%d,"wrapped":%d}\n',
      label, seconds, summary.requests, ok, ok / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency:percentile(99.9) / 1000,
      string.format('"status>399":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d',
         e.status, e.connect, e.read, e.write, e.timeout),
      sent_total, wraps))
end
