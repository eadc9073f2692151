-- Reads one page at full speed and counts the page cache's answers (the
-- X-Hewn-Cache header: hit or miss). Prints one JSON line for bench/cache.py.
local threads = {}
hits = 0
misses = 0
other = 0

setup = function(thread)
  table.insert(threads, thread)
end

response = function(status, headers, body)
  local outcome = headers["x-hewn-cache"] or headers["X-Hewn-Cache"]
  if outcome == "hit" then
    hits = hits + 1
  elseif outcome == "miss" then
    misses = misses + 1
  else
    other = other + 1
  end
end

done = function(summary, latency, requests)
  local h, m, o = 0, 0, 0
  for _, t in ipairs(threads) do
    h = h + t:get("hits")
    m = m + t:get("misses")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"hits":%d,"misses":%d,"uncached":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout, h, m, o))
end
