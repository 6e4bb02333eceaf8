-- notify: tells people how a deployment went. Hooks: notify.file (append a line to a file in the
-- project) and notify.webhook (POST a JSON summary). Both are best-effort unless bound critical.
local M = {}

local function line(ctx)
  return string.format("%s %s %s %s to %s: %s", os.date("!%Y-%m-%dT%H:%M:%SZ"), ctx.deployment.id, ctx.project,
    ctx.release.version, ctx.environment.name, ctx.deployment.outcome)
end

--- Appends one line per deployment to opts.path (default .lander/notifications.log).
function M.file(ctx, opts)
  local path = opts.path or ".lander/notifications.log"
  local text = line(ctx)
  if ctx.deployment.error then text = text .. " (" .. ctx.deployment.error .. ")" end
  lander.fs.write(path, text .. "\n", { append = true })
end

--- Posts { project, environment, version, outcome, error, summary } to opts.url.
function M.webhook(ctx, opts)
  if type(opts.url) ~= "string" then error("notify.webhook needs with: { url: http://… }") end
  local ok, err = lander.http.try_post(opts.url, { json = {
    project = ctx.project, environment = ctx.environment.name, version = ctx.release.version,
    deployment = ctx.deployment.id, outcome = ctx.deployment.outcome, error = ctx.deployment.error,
    summary = ctx:summary(),
  } })
  if not ok then error("notify.webhook: " .. err) end
end

return lander.plugin {
  name = "notify",
  file = M.file,
  webhook = M.webhook,
  hooks = { post_deploy = M.file, on_failure = M.file, on_cancel = M.file },
}
