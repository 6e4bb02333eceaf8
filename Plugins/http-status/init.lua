-- http-status: the default precheck and verify of a rolling step. GETs a target's status URL and expects
-- a status (200), retrying with a doubling backoff.
--   with: { url = "http://…" }            (or the target variable status_url, or base_url .. path)
--         { path = "/_status" }           (appended to the target variable base_url)
--         { status = 200, retries = 3, backoff = 0.2, timeout = 5 }
local M = {}

local function url_of(ctx, opts)
  local vars = ctx.target.variables or {}
  if opts.url then return opts.url end
  if opts.path and vars.base_url then return vars.base_url .. opts.path end
  if vars.status_url then return vars.status_url end
  error("http-status: no URL for " .. ctx.target.name .. "; set the target variable status_url (or base_url "
    .. "with path), or give with: { url = … }", 0)
end

--- Succeeds once the URL answers with the expected status; raises with the last answer otherwise.
function M.check(ctx, opts)
  local url = url_of(ctx, opts)
  local want = opts.status or 200
  local retries = opts.retries or 3
  local wait = opts.backoff or 0.2
  local last
  for attempt = 0, retries do
    if attempt > 0 then
      lander.sleep(wait)
      wait = wait * 2
    end
    local response, err = lander.http.try_get(url, { timeout = opts.timeout or 5 })
    if response and response.status == want then return true end
    last = err or string.format("GET %s: HTTP %d", url, response.status)
  end
  error(string.format("%s after %d attempt(s) (expected %d)", last:gsub("%s+$", ""), retries + 1, want), 0)
end

return lander.plugin {
  name = "http-status",
  check = M.check,
  hooks = { precheck = M.check, verify = M.check },
}
