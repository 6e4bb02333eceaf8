-- haproxy: takes targets out of and back into an HAProxy backend through its runtime API.
--   with: { socket = "/run/haproxy/admin.sock" }      (or host = "127.0.0.1", port = 9999)
--         { backend = "be" }                          the backend's name
--         { server = "s1" }                           default: the target variable haproxy_server, else
--                                                     the target's name
--         drain_timeout (seconds; Lander passes the step's), up_timeout = 30
-- drain: `set server B/S state drain`, waits until the server has no current sessions, then `maint`.
-- undrain: `set server B/S state ready`, waits until HAProxy's health check says UP.
-- stop_target: drains like drain (in flight requests finish), then `maint`: a target serving the wrong
--   version stays out of the pool.
local M = {}

local function endpoint(opts)
  if opts.socket then return { unix = opts.socket } end
  if opts.host and opts.port then return { host = opts.host, port = opts.port } end
  error("haproxy: give with: { socket = PATH } or { host = …, port = … } for the runtime API", 0)
end

local function command(opts, text)
  local request = endpoint(opts)
  request.send = text .. "\n"
  request.timeout = 5
  local reply = lander.net.request(request)
  -- HAProxy answers a refused command with a sentence; a done one with nothing (or data).
  if reply:match("^No such") or reply:match("^Unknown") or reply:match("^Require") or reply:match("denied") then
    error("haproxy: `" .. text .. "`: " .. reply:gsub("%s+$", ""), 0)
  end
  return reply
end

local function names(ctx, opts)
  if type(opts.backend) ~= "string" then error("haproxy: give with: { backend = NAME }", 0) end
  local vars = ctx.target.variables or {}
  return opts.backend, opts.server or vars.haproxy_server or ctx.target.name
end

--- The server's row of `show stat` as a table of column → value.
local function stat(opts, backend, server)
  local reply = command(opts, "show stat")
  local header
  for line in reply:gmatch("[^\n]+") do
    if line:sub(1, 2) == "# " then
      header = {}
      for name in line:sub(3):gmatch("([^,]*),?") do header[#header + 1] = name end
    elseif header then
      local values = {}
      for value in (line .. ","):gmatch("([^,]*),") do values[#values + 1] = value end
      if values[1] == backend and values[2] == server then
        local row = {}
        for i, name in ipairs(header) do row[name] = values[i] end
        return row
      end
    end
  end
  error("haproxy: no server " .. backend .. "/" .. server .. " in `show stat`", 0)
end

local function wait_until(seconds, what, ready)
  local deadline = seconds / 0.05
  for _ = 1, math.max(1, math.floor(deadline)) do
    if ready() then return end
    lander.sleep(0.05)
  end
  if not ready() then error("haproxy: " .. what .. " within " .. seconds .. "s", 0) end
end

local function set_state(opts, backend, server, state)
  command(opts, string.format("set server %s/%s state %s", backend, server, state))
end

--- Stops new requests to the server and waits (up to drain_timeout) until its sessions end: true, or false
--- and why.
local function drain_sessions(opts, backend, server)
  set_state(opts, backend, server, "drain")
  return pcall(wait_until, opts.drain_timeout or 60, "sessions of " .. server .. " did not drain", function()
    return tonumber(stat(opts, backend, server).scur) == 0
  end)
end

function M.drain(ctx, opts)
  local backend, server = names(ctx, opts)
  local drained, why = drain_sessions(opts, backend, server)
  if not drained then error(why, 0) end
  set_state(opts, backend, server, "maint")
  lander.log.info(string.format("%s/%s drained and in maintenance", backend, server))
end

function M.undrain(ctx, opts)
  local backend, server = names(ctx, opts)
  set_state(opts, backend, server, "ready")
  wait_until(opts.up_timeout or 30, server .. " did not come UP", function()
    return stat(opts, backend, server).status:match("^UP") ~= nil
  end)
end

function M.stop_target(ctx, opts)
  -- Gracefully: no new requests, those in flight finish (up to drain_timeout), then maintenance regardless.
  local backend, server = names(ctx, opts)
  if not drain_sessions(opts, backend, server) then
    lander.log.warn(string.format("%s/%s still had sessions after %ss; put in maintenance anyway", backend, server,
      tostring(opts.drain_timeout or 60)))
  end
  set_state(opts, backend, server, "maint")
  lander.log.info(string.format("%s/%s stopped: in maintenance", backend, server))
end

return lander.plugin {
  name = "haproxy",
  drain = M.drain, undrain = M.undrain, stop_target = M.stop_target,
  hooks = { drain = M.drain, undrain = M.undrain, stop_target = M.stop_target },
}
