-- wrk script for bench/load.sh: one endpoint per run, chosen by LOAD_ENDPOINT, with the session
-- of an account that load.sh signed in with curl (wrk itself never logs in: the login limit of
-- 30 attempts a minute per address does not come into play).
--
--   LOAD_ENDPOINT   search | household | workbench | report | apply
--   LOAD_SESSION    the mz_session cookie's value
--   LOAD_CSRF       the session's CSRF token (sent as X-CSRF-Token with every POST)
--   LOAD_MIN_ID, LOAD_MAX_ID  household ids to spread the household pages over
--   LOAD_QUARTER    the report page's quarter (e.g. 2026Q3)
--   LOAD_COMMUNITY  the community the applications are made in (within the account's street)
--   LOAD_RUN        a small number, different for every run against one database, so that no
--                   two applications ever carry the same ID number
--
-- At the end each thread state is gone; done() runs in the main state and prints one
-- machine-readable line that load.sh turns into the table:
--   LOADRESULT <requests/s> <p50 ms> <p99 ms> <errors> <requests>
-- errors = HTTP statuses >= 400 (wrk counts those) + connect/read/write errors + timeouts.

local endpoint = os.getenv("LOAD_ENDPOINT") or "search"
local cookie = "mz_session=" .. (os.getenv("LOAD_SESSION") or "")
local csrf = os.getenv("LOAD_CSRF") or ""
local min_id = tonumber(os.getenv("LOAD_MIN_ID") or "1")
local max_id = tonumber(os.getenv("LOAD_MAX_ID") or "1")
local quarter = os.getenv("LOAD_QUARTER") or "2026Q3"
local community = os.getenv("LOAD_COMMUNITY") or "369902001001"
local run = tonumber(os.getenv("LOAD_RUN") or "0")

-- Each wrk thread has its own Lua state: setup() (main state) numbers them so that the
-- threads' random streams and ID-number ranges differ.
local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
end

local n = 0 -- requests made by this thread

function init(args)
  math.randomseed(1000 * run + (tid or 0))
end

-- The twenty surnames of the generator (bench/gen_roster.py), searched in turn.
local surnames = { "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                   "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗" }

-- GB 11643: the check character from the first 17 digits.
local weights = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 }
local checks = "10X98765432"
local function id_number(first17)
  local total = 0
  for i = 1, 17 do
    total = total + tonumber(first17:sub(i, i)) * weights[i]
  end
  local k = total % 11 + 1
  return first17 .. checks:sub(k, k)
end

-- A new ID number for each application: the address code 36RRTT (province 36 so it parses,
-- RR the run, TT the thread: never the roster's 361100 nor the demo's 3699xx), then a
-- birth date from 1971-01-01 on and a sequence number, a thousand numbers a day.
local base = os.time({ year = 1971, month = 1, day = 1, hour = 12 })
local function next_id()
  local k = n
  local address = string.format("36%02d%02d", 20 + run % 70, tid % 100)
  local birth = os.date("!%Y%m%d", base + math.floor(k / 1000) * 86400)
  return id_number(string.format("%s%s%03d", address, birth, k % 1000))
end

local get_headers = { ["Cookie"] = cookie }
local post_headers = {
  ["Cookie"] = cookie,
  ["Content-Type"] = "application/json",
  ["X-CSRF-Token"] = csrf,
}

function request()
  n = n + 1
  if endpoint == "search" then
    local s = surnames[n % #surnames + 1]
    return wrk.format("POST", "/api/v1/households/search", post_headers, '{"name":"' .. s .. '"}')
  elseif endpoint == "household" then
    return wrk.format("GET", "/assistance/households/" .. math.random(min_id, max_id), get_headers)
  elseif endpoint == "workbench" then
    return wrk.format("GET", "/assistance/workbench", get_headers)
  elseif endpoint == "report" then
    return wrk.format("GET", "/reports/quarterly?quarter=" .. quarter, get_headers)
  elseif endpoint == "apply" then
    -- One-person household (the applicant), the counter form's fields as JSON.
    local body = string.format(
      '{"community":"%s","program":"dibao","m0_name":"赵负载","m0_id":"%s","m0_relation":"本人",'
        .. '"m0_hukou":"urban","m0_work":"full","phone":"13800138000","reason":"负载测试：家庭收入低",'
        .. '"declaration":"1","consent":"1"}',
      community, next_id())
    return wrk.format("POST", "/api/v1/applications", post_headers, body)
  end
  error("unknown LOAD_ENDPOINT " .. endpoint)
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  local secs = summary.duration / 1e6
  io.write(string.format("LOADRESULT %.1f %.2f %.2f %d %d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests))
end
