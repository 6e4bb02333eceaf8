-- activate: the Z step. Reads what stage (X) handed over on this same target, points `current` at it,
-- and closes the session stage opened.
return lander.template {
  params = { from = { type = "string", default = "stage" } },
  run = function(ctx, p)
    local handed = ctx.outputs[p.from]
    if not handed or not handed.dir then
      error("step '" .. p.from .. "' left no dir on " .. ctx.target.name)
    end
    ctx.target:run { "ln", "-sfn", handed.dir, ctx.target.root .. "/current" }
    local session = ctx.target:session(handed.session or "tunnel")
    if not session or not session.running then
      error("the tunnel session opened in step '" .. p.from .. "' is not running on " .. ctx.target.name)
    end
    ctx.target:close(session.name)
    ctx.output.current = handed.dir
  end,
}
