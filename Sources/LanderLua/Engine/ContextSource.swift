/// Lander's own Lua (plugin `<lander>`): builds the `ctx` a template or hook receives and calls it.
let contextSource = #"""
    local internal = internal
    local pcall, error, type, setmetatable = pcall, error, type, setmetatable

    local function target_of(data)
      -- The host functions are the methods themselves, so an error names the script's line, not this file's.
      local target = data.target
      target.run, target.spawn, target.session, target.close, target.upload, target.download =
        internal.run, internal.spawn, internal.session, internal.close, internal.upload, internal.download
      function target:try_run(argv, opts)
        local ok, result = pcall(internal.run, self, argv, opts)
        if ok then return result end
        return nil, result
      end
      return target
    end

    local M = {}

    function M.task(run, params, data)
      local ctx = {
        target = target_of(data), release = data.release, environment = data.environment,
        outputs = data.outputs, output = {}, step = data.step, task = data.task, project = data.project,
        milestone = internal.milestone,
      }
      run(ctx, params)
      return ctx.output
    end

    function M.rolling(fn, opts, data)
      local ctx = {
        target = target_of(data), release = data.release, environment = data.environment,
        outputs = data.outputs, step = data.step, project = data.project, point = data.task,
      }
      return fn(ctx, opts)
    end

    function M.hook(fn, opts, data)
      local summary = data.summary
      local ctx = data
      ctx.summary = function() return summary end
      fn(ctx, opts)
    end

    return M
    """#
