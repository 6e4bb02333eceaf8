-- A tour of Lander's Lua runtime: `lander lua run examples/lua-sandbox/tour.lua --plugins examples/lua-sandbox/plugins`
local greeting = require("greeting")
print(greeting.hello("app-1"))

-- A host wait yields this script's coroutine: the thread is free for other scripts meanwhile
-- (the engine runs one script per target, and their waits overlap).
lander.sleep(0.05)
lander.log.info("slept without holding a thread")

-- The sandbox: no shell, no files, no debug library.
print("os.execute:", os.execute, "io:", io, "debug:", debug)

-- Errors from the host are ordinary Lua errors a script can catch.
local ok, err = pcall(lander.sleep, "soon")
print("caught:", ok, err)

-- Shared libraries are read-only for every plugin.
local changed, why = pcall(function() string.upper = nil end)
print("string.upper kept:", not changed, why)
return "tour finished"
