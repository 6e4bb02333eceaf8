-- wait-for: waits until another project's running deployment reaches a milestone (seed 002's cooperating
-- projects: "if B is running, wait for it to reach step 3"); goes on at once when B is not running or is
-- past it. Run it on a role with one target: a template runs once per target.
return lander.template {
  description = "Wait for another project's deployment to reach a milestone or a step",
  params = {
    project = { type = "string" },
    -- A milestone (a step's `milestone:` or ctx.milestone), or a step of the other project.
    milestone = { type = "string", required = false },
    step = { type = "string", required = false },
    -- fail (default): fail when the other deployment ends without it; continue: go on.
    on_missing = { type = "string", default = "fail" },
  },
  run = function(ctx, p)
    if (p.milestone == nil) == (p.step == nil) then
      error("wait-for needs exactly one of milestone and step")
    end
    local result = lander.wait_for {
      project = p.project, milestone = p.milestone, step = p.step, on_missing = p.on_missing,
    }
    ctx.output.status = result.status
    ctx.output.id = result.id or ""
  end,
}
