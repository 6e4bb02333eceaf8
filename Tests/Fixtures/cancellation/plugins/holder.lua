return lander.template { run = function(ctx)
  local s = ctx.target:spawn({ "sleep", "600" }, { name = "holder" })
  lander.log.info("holder " .. s.pid)
end }
