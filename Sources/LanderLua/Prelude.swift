/// The Lua side of the sandbox: compiled once per process, run once per state before any script.
///
/// It receives the host-yield marker and a table of host functions, builds the allow-listed
/// environment of each plugin, wraps `coroutine` so host waits inside a script's own coroutines
/// reach the Swift driver, and implements `require` over the plugin path.
let preludeSource = #"""
    local marker, host = ...
    local G = _G
    local type, error, select, pairs, ipairs, next, tostring, setmetatable =
      type, error, select, pairs, ipairs, next, tostring, setmetatable
    local concat = table.concat
    local raw_load, raw_collectgarbage = load, collectgarbage
    local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield

    -- Strings share one metatable whose __index is the real string library: strip it at the source.
    string.dump = nil
    getmetatable("").__metatable = false

    -- A script's own coroutine that waits on the host yields the marker; pass the wait up to the driver
    -- and hand its answer back down, so waiting works at any coroutine depth.
    local function relay(thread, ...)
      if select("#", ...) == 2 and (...) == true and select(2, ...) == marker then
        return relay(thread, co_resume(thread, co_yield(marker)))
      end
      return ...
    end

    local function resume(thread, ...)
      return relay(thread, co_resume(thread, ...))
    end

    local function unwrap(ok, ...)
      if ok then return ... end
      error((...), 0)
    end

    local function wrap(f)
      local thread = co_create(f)
      return function(...) return unwrap(resume(thread, ...)) end
    end

    local S = { loading = {}, loaded = {}, envs = {}, api = {}, internal = {} }

    -- A read-only view: reads reach the table, writes are errors, getmetatable cannot reach it.
    local function readonly(name, t)
      return setmetatable({}, {
        __index = t,
        __newindex = function(_, key)
          error("cannot set " .. name .. "." .. tostring(key) .. ": " .. name .. " is read-only (shared by all plugins)", 2)
        end,
        __pairs = function() return next, t, nil end,
        __len = function() return #t end,
        __metatable = false,
      })
    end

    local function readonly_tree(name, t)
      local view = {}
      for k, v in pairs(t) do
        view[k] = type(v) == "table" and readonly_tree(name .. "." .. k, v) or v
      end
      return readonly(name, view)
    end

    local allowed_gc = { count = true, collect = true, step = true, isrunning = true }

    -- What every plugin environment falls back to: allow-listed base functions, read-only libraries.
    local shared = {
      string = readonly("string", G.string), table = readonly("table", G.table),
      math = readonly("math", G.math), utf8 = readonly("utf8", G.utf8),
      os = readonly("os", { clock = os.clock, date = os.date, time = os.time, difftime = os.difftime }),
      coroutine = readonly("coroutine", {
        create = co_create, resume = resume, wrap = wrap, yield = co_yield, status = coroutine.status,
        isyieldable = coroutine.isyieldable, running = coroutine.running, close = coroutine.close,
      }),
      collectgarbage = function(option, ...)
        option = option or "collect"
        if not allowed_gc[option] then
          error("collectgarbage('" .. tostring(option) .. "') is not allowed in Lander scripts", 2)
        end
        return raw_collectgarbage(option, ...)
      end,
      print = function(...)
        local parts = {}
        for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
        host.print(concat(parts, "\t"))
      end,
    }
    for _, name in ipairs({
      "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen", "rawset",
      "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type", "xpcall", "_VERSION",
    }) do
      shared[name] = G[name]
    end

    S.api.log = {
      debug = host.log_debug, info = host.log_info, warn = host.log_warn, error = host.log_error,
    }
    S.api.sleep = host.sleep

    -- lander.lock(name, [opts], fn): runs fn holding a named lock shared by every project using the same
    -- state store; { limit = N } makes it a semaphore. The lock is let go however fn ends.
    S.api.lock = function(name, opts, fn)
      if type(opts) == "function" and fn == nil then opts, fn = nil, opts end
      if type(name) ~= "string" or name == "" then error("bad argument #1 to 'lander.lock' (lock name expected)", 2) end
      if opts ~= nil and type(opts) ~= "table" then error("bad argument #2 to 'lander.lock' (table expected)", 2) end
      if type(fn) ~= "function" then error("bad argument #3 to 'lander.lock' (function expected)", 2) end
      local limit = opts and opts.limit or 1
      if math.type(limit) ~= "integer" or limit < 1 then
        error("bad argument #2 to 'lander.lock' (limit must be a whole number of at least 1)", 2)
      end
      local acquire = S.internal.lock_acquire
      if acquire == nil then error("lander.lock works in templates and hooks of a deployment with a state store", 2) end
      local lease = acquire(name, limit)
      local results = table.pack(pcall(fn))
      S.internal.lock_release(lease)
      if not results[1] then error(results[2], 0) end
      return table.unpack(results, 2, results.n)
    end

    -- lander.deploy { project = "payments", version = "2.4" | release | from, environment, when, wait }:
    -- deploys another project of the workspace and waits; raises with the child's id and error when it fails.
    S.api.deploy = function(spec)
      if type(spec) ~= "table" then error("bad argument #1 to 'lander.deploy' (table expected)", 2) end
      local deploy = S.internal.deploy_child
      if deploy == nil then error("lander.deploy works in templates of a deployment", 2) end
      return deploy(spec)
    end
    -- lander.try_deploy { … }: the same, returning nil and the error instead of raising it.
    S.api.try_deploy = function(spec)
      local ok, result = pcall(S.api.deploy, spec)
      if ok then return result end
      return nil, result
    end
    -- lander.wait_for { project = "db", milestone = "schema-ready" | step = "migrate", environment, on_missing }.
    S.api.wait_for = function(spec)
      if type(spec) ~= "table" then error("bad argument #1 to 'lander.wait_for' (table expected)", 2) end
      local wait = S.internal.wait_milestone
      if wait == nil then error("lander.wait_for works in templates of a deployment", 2) end
      return wait(spec)
    end

    -- lander.template { params = {...}, run = function(ctx, p) ... end }: a step template's declaration.
    S.api.template = function(spec)
      if type(spec) ~= "table" then error("lander.template expects a table { params = {...}, run = function(ctx, p) }", 2) end
      if type(spec.run) ~= "function" then error("lander.template: run must be a function(ctx, params)", 2) end
      if spec.params ~= nil and type(spec.params) ~= "table" then error("lander.template: params must be a table", 2) end
      local declared = { kind = "template", params = spec.params or {}, run = spec.run, description = spec.description }
      return declared
    end

    -- lander.plugin { name = "...", hooks = { post_deploy = function(ctx, opts) ... end } }: a plugin's hooks.
    S.api.plugin = function(spec)
      if type(spec) ~= "table" or type(spec.hooks) ~= "table" then
        error("lander.plugin expects a table { name = ..., hooks = { point = function(ctx, opts) } }", 2)
      end
      for point, fn in pairs(spec.hooks) do
        if type(fn) ~= "function" then error("lander.plugin: hook '" .. tostring(point) .. "' must be a function", 2) end
      end
      local plugin = { kind = "plugin", name = spec.name, hooks = spec.hooks }
      for k, v in pairs(spec) do if plugin[k] == nil then plugin[k] = v end end
      return plugin
    end

    local function make_env()
      if S.api_view == nil then S.api_view = readonly_tree("lander", S.api) end
      local env = setmetatable({ lander = S.api_view }, { __index = shared })
      env._G = env
      env.load = function(chunk, name, mode, chunk_env)
        if mode ~= nil and mode ~= "t" then
          return nil, "only text chunks can be loaded (mode 't'); binary chunks are not allowed"
        end
        if chunk_env == nil then chunk_env = env end
        return raw_load(chunk, name, "t", chunk_env)
      end
      return env
    end

    local function env_for(plugin)
      local env = S.envs[plugin]
      if env == nil then
        env = make_env()
        -- Lander's own chunks (a name no module can have) reach the internal host functions.
        if plugin == "<lander>" then env.internal = S.internal end
        S.envs[plugin] = env
      end
      return env
    end

    shared.require = function(name)
      if type(name) ~= "string" then
        error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ")", 2)
      end
      local value = S.loaded[name]
      if value ~= nil then return value end
      if S.loading[name] then error("require cycle: module '" .. name .. "' is still loading", 2) end
      local source, chunkname, plugin = host.find_module(name)
      if source == nil then error(chunkname, 2) end
      local chunk, err = raw_load(source, chunkname, "t", env_for(plugin))
      if not chunk then error(err, 0) end
      S.loading[name] = true
      value = chunk(name)
      S.loading[name] = nil
      if value == nil then value = true end
      S.loaded[name] = value
      return value
    end

    S.env_for = env_for
    S.require = shared.require
    return S
    """#
