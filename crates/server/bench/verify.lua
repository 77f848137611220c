-- POST /api/v1/verify with valid HOTP codes: each thread owns a slice of the users and sends
-- each user's codes in counter order (args: codes file, first user, user count, threads, key).
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file, first, count, nthreads, key = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4]), args[5]
  users = {}
  local i = 0
  for line in io.lines(file) do
    if i >= first and i < first + count and (i - first) % nthreads == id then
      local words = {}
      for w in line:gmatch("%S+") do words[#words + 1] = w end
      users[#users + 1] = { name = words[1], codes = { unpack(words, 2) }, next = 1 }
    end
    i = i + 1
  end
  cur = 0
  oks = 0
  others = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
end

function request()
  cur = cur % #users + 1
  local u = users[cur]
  local code = u.codes[u.next] or "000000"
  u.next = u.next + 1
  return wrk.format(nil, "/api/v1/verify", nil,
    '{"username":"' .. u.name .. '","token":"' .. code .. '"}')
end

function response(status, headers, body)
  if status == 200 and body:find('"ok":true', 1, true) then
    oks = oks + 1
  else
    others = others + 1
  end
end

function done(summary, latency, requests)
  local ok, other = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("oks")
    other = other + t:get("others")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f ok=%d other=%d errors=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    ok, other, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
