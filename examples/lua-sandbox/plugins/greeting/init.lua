-- A tiny plugin module: found on the plugin path as `greeting`.
local M = {}

--- Formats a greeting for a target name.
function M.hello(name)
  return "hello from the sandbox, " .. name
end

return M
