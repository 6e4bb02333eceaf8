-- twenty: twenty commands one after another on the target, then a mark that they are done.
return lander.template {
  run = function(ctx)
    for _ = 1, 20 do ctx.target:run { "true" } end
    ctx.target:run { "touch", "commands.done" }
  end,
}
