---@meta
-- LuaCATS stubs for Lander's Lua API, for editors (lua-language-server: add Plugins/_meta to
-- workspace.library). Nothing here runs; the functions are provided by Lander.

---The Lander API available to every template and hook. Read-only: shared by all plugins.
---@class lander
lander = {}

---Log lines at a level; they appear in the deployment log and progress output.
---@class lander.log
lander.log = {}

---@param message string
function lander.log.debug(message) end

---@param message string
function lander.log.info(message) end

---@param message string
function lander.log.warn(message) end

---@param message string
function lander.log.error(message) end

---Waits without holding a thread; other scripts keep running.
---@param seconds number
function lander.sleep(seconds) end
