-- ssh-tunnel: opens an SSH tunnel through a bastion before packages are uploaded (pre_upload) and closes it
-- at the end (finally) — the VPN case: targets reachable only through forwarded ports.
--   with: { bastion = "ops@bastion.example.com" }   what `ssh` connects to (a Host of your ssh config works)
--         { forwards = { "15022:10.0.0.5:22", … } } local-port:host:port, as ssh -L takes them
--         { config = "~/.ssh/config", identity = PATH, port = N, options = { Name = value, … } }
--         { name = "ssh-tunnel", ready_timeout = 10 }
-- open waits until every forwarded local port accepts connections; the tunnel is a process of its own,
-- stopped by close, or by Lander when the deployment ends whatever happened.
local M = {}

local function name_of(opts) return opts.name or "ssh-tunnel" end

function M.open(ctx, opts)
  if type(opts.bastion) ~= "string" then error("ssh-tunnel: give with: { bastion = HOST }", 0) end
  if type(opts.forwards) ~= "table" or #opts.forwards == 0 then
    error("ssh-tunnel: give with: { forwards = { 'LOCALPORT:HOST:PORT', … } }", 0)
  end
  local argv = { "ssh", "-N", "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes",
                 "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3" }
  if opts.config then argv[#argv + 1] = "-F"; argv[#argv + 1] = opts.config end
  if opts.identity then argv[#argv + 1] = "-i"; argv[#argv + 1] = opts.identity end
  if opts.port then argv[#argv + 1] = "-p"; argv[#argv + 1] = tostring(opts.port) end
  for key, value in pairs(opts.options or {}) do
    argv[#argv + 1] = "-o"; argv[#argv + 1] = key .. "=" .. tostring(value)
  end
  local ports = {}
  for _, forward in ipairs(opts.forwards) do
    local port = forward:match("^(%d+):") or forward:match("^[^:]+:(%d+):")
    if not port then error("ssh-tunnel: forward '" .. forward .. "' is not LOCALPORT:HOST:PORT", 0) end
    ports[#ports + 1] = tonumber(port)
    argv[#argv + 1] = "-L"; argv[#argv + 1] = forward
  end
  argv[#argv + 1] = opts.bastion
  local name = name_of(opts)
  lander.process.start(name, argv)
  local deadline = (opts.ready_timeout or 10) / 0.05
  for _ = 1, deadline do
    if not lander.process.running(name) then
      local result = lander.process.stop(name)
      error("ssh-tunnel: ssh to " .. opts.bastion .. " ended: " .. ((result and result.stderr) or ""):gsub("%s+$", ""), 0)
    end
    local all = true
    for _, port in ipairs(ports) do
      if not lander.net.probe { host = "127.0.0.1", port = port, timeout = 1 } then all = false; break end
    end
    if all then
      lander.log.info("tunnel through " .. opts.bastion .. " open: " .. table.concat(opts.forwards, ", "))
      return
    end
    lander.sleep(0.05)
  end
  lander.process.stop(name)
  error("ssh-tunnel: the forwarded ports did not open within " .. (opts.ready_timeout or 10) .. "s", 0)
end

function M.close(ctx, opts)
  local result = lander.process.stop(name_of(opts))
  if result then lander.log.info("tunnel through " .. tostring(opts.bastion) .. " closed") end
end

return lander.plugin {
  name = "ssh-tunnel",
  open = M.open, close = M.close,
  hooks = { pre_upload = M.open, finally = M.close },
}
