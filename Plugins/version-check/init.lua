-- version-check: the default verify_fleet of a rolling step. Returns the version a target serves, from
--   with: { url = "http://…/_version" } or { path = "/_version" } (after the target variable base_url),
--         or the target variable version_url; the body's first word is the version
--   with: { file = "current/VERSION" }  a file on the target (relative to its root)
-- With none of these (and no version_url), it returns nothing and the target is not checked.
local M = {}

function M.version(ctx, opts)
  local vars = ctx.target.variables or {}
  if opts.file then
    local result = ctx.target:run { "cat", opts.file }
    return (result.stdout:gsub("%s+$", ""))
  end
  local url = opts.url or (opts.path and vars.base_url and vars.base_url .. opts.path) or vars.version_url
  if not url then
    if opts.path then
      error("version-check: with: { path = … } needs the target variable base_url on " .. ctx.target.name, 0)
    end
    -- The default verify_fleet with nothing to read: this target is not checked.
    return nil
  end
  local response = lander.http.get(url, { timeout = opts.timeout or 5 })
  return response.body:match("(%S+)%s*$") or ""
end

return lander.plugin {
  name = "version-check",
  version = M.version,
  hooks = { verify_fleet = M.version },
}
