-- The full sign-in as a browser does it, one connection per thread: GET /api/v1/auth/csrf,
-- POST /api/v1/auth/login, POST /api/v1/auth/otp (the user's next HOTP code), then again with
-- the next user of the thread's slice (args: codes file, first user, count, threads, password).
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file, first, count, nthreads = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  password = args[5]
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
  step = "csrf"
  flows = 0
  failures = 0
end

local function cookie_of(headers)
  local set = headers["set-cookie"] or headers["Set-Cookie"]
  return set and set:match("^([^;]+)")
end

function request()
  if step == "csrf" then
    cur = cur % #users + 1
    return wrk.format("GET", "/api/v1/auth/csrf", {}, nil)
  end
  local u = users[cur]
  local headers = { ["Cookie"] = cookie, ["X-CSRF-Token"] = csrf, ["Content-Type"] = "application/json" }
  if step == "login" then
    return wrk.format("POST", "/api/v1/auth/login", headers,
      '{"username":"' .. u.name .. '","password":"' .. password .. '"}')
  end
  local code = u.codes[u.next] or "000000"
  u.next = u.next + 1
  return wrk.format("POST", "/api/v1/auth/otp", headers, '{"token":"' .. code .. '"}')
end

function response(status, headers, body)
  if step == "csrf" then
    cookie = cookie_of(headers)
    csrf = body:match('"token":"([^"]+)"')
    step = "login"
  elseif step == "login" then
    if status == 200 then
      cookie = cookie_of(headers)
      csrf = body:match('"csrf_token":"([^"]+)"')
      step = "otp"
    else
      failures = failures + 1
      step = "csrf"
    end
  else
    if status == 200 then flows = flows + 1 else failures = failures + 1 end
    step = "csrf"
  end
end

function done(summary, latency, requests)
  local f, bad = 0, 0
  for _, t in ipairs(threads) do
    f = f + t:get("flows")
    bad = bad + t:get("failures")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT flows_per_s=%.1f requests_per_s=%.0f p50_ms=%.2f p99_ms=%.2f flows=%d failed=%d mean_flow_ms=%.0f\n",
    f / seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, f, bad, f > 0 and (#threads * seconds * 1000 / f) or 0))
end
