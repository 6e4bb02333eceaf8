-- version-check: the default verify_fleet of a rolling step. Returns the version a target serves, from
--   with: { url = "http://…/_version" } or { path = "/_version" } (after the target variable base_url),
--         or the target variable version_url
--   with: { file = "current/VERSION" }  a file on the target (relative to its root)
-- The body (or file) is read as JSON when it is JSON: an object's field `with.field` (default
-- "version"; a dotted path such as "build.version" reads into nested objects), or a JSON string itself;
-- otherwise as plain text: the first word that starts with a digit (or v and a digit) is the version
-- ("2.0.0", "2.0.0 built 2026-11-30", "build 2.1.0", "v3"), else the first word.
-- With no source (and no version_url), it returns nothing and the target is not checked.
local M = {}

--- The version in a body: a JSON field, a JSON string, or the first version-like word of plain text.
function M.parse(body, field)
  local trimmed = body:match("^%s*(.-)%s*$")
  local first = trimmed:sub(1, 1)
  if first == "{" or first == "[" or first == '"' then
    local ok, value = pcall(lander.json.decode, trimmed)
    if ok then
      if type(value) == "string" then return value end
      local path = field or "version"
      for key in path:gmatch("[^%.]+") do
        if type(value) ~= "table" then value = nil break end
        value = value[key]
      end
      if value == nil then
        error(string.format("version-check: the JSON body has no field '%s': %s", path, trimmed:sub(1, 80)), 0)
      end
      return tostring(value)
    end
  end
  for word in trimmed:gmatch("%S+") do
    if word:match("^v?%d") then return word end
  end
  return trimmed:match("^(%S+)") or ""
end

function M.version(ctx, opts)
  local vars = ctx.target.variables or {}
  if opts.file then
    local result = ctx.target:run { "cat", opts.file }
    return M.parse(result.stdout, opts.field)
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
  return M.parse(response.body, opts.field)
end

return lander.plugin {
  name = "version-check",
  version = M.version,
  hooks = { verify_fleet = M.version },
}
