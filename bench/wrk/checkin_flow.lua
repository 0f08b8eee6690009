-- wrk script for bench/checkin.py: a visitor's whole check-in, over and over, each time a new
-- visitor with no cookies: GET the form, POST it (with the cookies the form set and its CSRF
-- token), GET the page the redirect points to (with the cookies the POST set).
--
-- Run with as many threads as connections: each thread's one connection walks the three
-- steps in turn. Arguments (after wrk's "--"): the check-in path, and the file described in
-- checkin_post.lua (its first two lines are used: the fixed fields and the names). At the end
-- it prints one line:
--   RESULT requests duration_us p50_us p99_us max_us redirects others socket_errors flows

local threads = {}
local names = {}
local fixed, path
local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads)
end

function init(args)
   path = args[1]
   local file = assert(io.open(args[2]))
   fixed = file:read("*l")
   for name in string.gmatch(file:read("*l"), "[^\t]+") do
      table.insert(names, name)
   end
   file:close()
   math.randomseed(id * 104729 + os.time())
   redirects, others, flows = 0, 0, 0
   step, cookies, token, location = "form", {}, nil, nil
end

local function secret()
   local chars = {}
   for i = 1, 43 do
      local k = math.random(1, 64)
      chars[i] = ALPHABET:sub(k, k)
   end
   return table.concat(chars)
end

local function cookie_header()
   local parts = {}
   for name, value in pairs(cookies) do
      table.insert(parts, name .. "=" .. value)
   end
   return table.concat(parts, "; ")
end

local function keep_cookies(headers)
   for name, value in pairs(headers) do
      if string.lower(name) == "set-cookie" then
         local cookie, content = string.match(value, "^([^=;]+)=([^;]*)")
         if cookie then
            cookies[cookie] = content
         end
      end
   end
end

function request()
   if step == "form" then
      return wrk.format("GET", path, {})
   elseif step == "post" then
      local body = fixed .. "&csrf_token=" .. token .. "&visit_secret=" .. secret()
         .. "&full_name=" .. names[math.random(#names)]
         .. string.format("&phone=09%08d", math.random(0, 99999999))
      return wrk.format("POST", path, {
         ["Cookie"] = cookie_header(),
         ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body)
   else
      return wrk.format("GET", location, {["Cookie"] = cookie_header()})
   end
end

-- Any unexpected answer is counted and the visitor starts again with a fresh form.
local function start_again()
   others = others + 1
   step, cookies, token, location = "form", {}, nil, nil
end

function response(status, headers, body)
   if step == "form" then
      token = string.match(body, 'name="csrf_token"[^>]-value="([^"]+)"')
      if status ~= 200 or not token then
         return start_again()
      end
      keep_cookies(headers)
      step = "post"
   elseif step == "post" then
      location = headers["Location"] or headers["location"]
      if status ~= 302 or not location then
         return start_again()
      end
      redirects = redirects + 1
      keep_cookies(headers)
      location = string.gsub(location, "^https?://[^/]+", "")
      step = "done"
   else
      if status ~= 200 then
         return start_again()
      end
      flows = flows + 1
      step, cookies, token, location = "form", {}, nil, nil
   end
end

function done(summary, latency, requests)
   local total = {redirects = 0, others = 0, flows = 0}
   for _, thread in ipairs(threads) do
      for key, _ in pairs(total) do
         total[key] = total[key] + thread:get(key)
      end
   end
   local e = summary.errors
   io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\n", summary.requests,
      summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
      total.redirects, total.others, e.connect + e.read + e.write + e.timeout, total.flows))
end
