-- tunnel: opens a per-target session in one step that a later step (activate) uses and closes.
-- Here the "tunnel" is a small process that keeps a heartbeat file fresh while it is open.
return lander.template {
  params = { name = { type = "string", default = "tunnel" } },
  run = function(ctx, p)
    local session = ctx.target:spawn(
      { "sh", "-c", 'while :; do date +%s > tunnel.heartbeat; sleep 0.2; done' }, { name = p.name })
    lander.log.info(string.format("%s: session '%s' open (pid %d)", ctx.target.name, session.name, session.pid))
    ctx.output.session = session.name
  end,
}
