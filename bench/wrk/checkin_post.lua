-- wrk script for bench/checkin.py: every request is a new visitor's check-in POST.
--
-- Arguments (after wrk's "--"): the check-in path, and a file written by bench/checkin.py whose
-- first line is the form's fixed fields (URL-encoded), the second the names to choose from
-- (URL-encoded, separated by tabs), then one "session cookie <tab> CSRF token" pair a line,
-- each fetched from GET <path>?new=1. Each request takes a pair, a name and a phone number at
-- random and a fresh per-visit secret (the form's hidden "visit_secret" field), so that no
-- request is a resend of another. At the end it prints one line:
--   RESULT requests duration_us p50_us p99_us max_us redirects others socket_errors

local threads = {}
local pool, names = {}, {}
local fixed, path
local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

local function split(line, separator)
   local parts = {}
   for part in string.gmatch(line, "[^" .. separator .. "]+") do
      table.insert(parts, part)
   end
   return parts
end

function init(args)
   path = args[1]
   local file = assert(io.open(args[2]))
   fixed = file:read("*l")
   names = split(file:read("*l"), "\t")
   for line in file:lines() do
      local pair = split(line, "\t")
      table.insert(pool, {cookie = pair[1], token = pair[2]})
   end
   file:close()
   math.randomseed(id * 104729 + os.time())
   redirects, others = 0, 0
end

local function secret()
   local chars = {}
   for i = 1, 43 do
      local k = math.random(1, 64)
      chars[i] = ALPHABET:sub(k, k)
   end
   return table.concat(chars)
end

function request()
   local pair = pool[math.random(#pool)]
   local body = fixed .. "&csrf_token=" .. pair.token .. "&visit_secret=" .. secret()
      .. "&full_name=" .. names[math.random(#names)]
      .. string.format("&phone=09%08d", math.random(0, 99999999))
   return wrk.format("POST", path, {
      ["Cookie"] = pair.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }, body)
end

function response(status, headers, body)
   if status == 302 then
      redirects = redirects + 1
   else
      others = others + 1
   end
end

function done(summary, latency, requests)
   local total_redirects, total_others = 0, 0
   for _, thread in ipairs(threads) do
      total_redirects = total_redirects + thread:get("redirects")
      total_others = total_others + thread:get("others")
   end
   local e = summary.errors
   io.write(string.format("RESULT %d %d %d %d %d %d %d %d\n", summary.requests,
      summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
      total_redirects, total_others, e.connect + e.read + e.write + e.timeout))
end
