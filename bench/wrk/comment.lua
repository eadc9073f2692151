-- POSTs distinct, valid comments to one post and counts the 303s (a comment is
-- acknowledged only once it is stored). Set BENCH_POST_PATH to the form's action.
local threads = {}
counter = 0
run = os.getenv("BENCH_RUN") or tostring(os.time())
acked = 0
other = 0
local id = 0

setup = function(thread)
  id = id + 1
  thread:set("tid", id)
  table.insert(threads, thread)
end

init = function(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  path = os.getenv("BENCH_POST_PATH") or "/posts/year-of-the-stakhanovite/comments"
end

request = function()
  counter = counter + 1
  local body = string.format(
    "comment=Benchmark+comment+%s-%d+from+thread+%d%%2C+a+distinct+thought.&author=Reader+%s-%d-%d" ..
    "&email=reader%d-%d%%40bench.example&url=&comment_parent=0",
    run, counter, tid, run, tid, counter, tid, counter)
  return wrk.format("POST", path, nil, body)
end

response = function(status, headers, body)
  if status == 303 then acked = acked + 1 else other = other + 1 end
end

done = function(summary, latency, requests)
  local total_acked, total_other = 0, 0
  for _, t in ipairs(threads) do
    total_acked = total_acked + t:get("acked")
    total_other = total_other + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"acked":%d,"not_acked":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout, total_acked, total_other))
end
