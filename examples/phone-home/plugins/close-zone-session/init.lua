-- close-zone-session: the Z step. Closes the session the X step opened on this same target.
return lander.template {
  run = function(ctx)
    local session = ctx.target:session("zone")
    if not session or not session.running then
      error("the zone session opened in step open-session is not running on " .. ctx.target.name)
    end
    ctx.target:close("zone")
    ctx.target:run { "sh", "-c", "echo closed > session.state" }
  end,
}
