-- ensure-deployed: deploys another project of the workspace unless the environment already has it (seed
-- 002's cooperating projects: "trigger A if it has not been deployed to the environment"), and waits.
-- Run it on a role with one target: a template runs once per target.
return lander.template {
  description = "Deploy another project of the workspace unless this environment already has it",
  params = {
    project = { type = "string" },
    -- The version to deploy (default: this deployment's), or `from`: what another environment runs.
    version = { type = "string", required = false },
    from = { type = "string", required = false },
    -- not_deployed (default), not_current, higher or always.
    when = { type = "string", default = "not_deployed" },
  },
  run = function(ctx, p)
    local spec = { project = p.project, when = p.when }
    if p.from ~= nil then spec.from = p.from else spec.version = p.version or ctx.release.version end
    local result = lander.deploy(spec)
    if result.status == "skipped" then
      lander.log.info("ensure-deployed: " .. p.project .. " is there already (" .. (result.reason or "") .. ")")
    else
      lander.log.info("ensure-deployed: deployed " .. p.project .. " " .. (result.version or "") .. " (" .. (result.id or "") .. ")")
    end
    ctx.output.status = result.status
    ctx.output.version = result.version or ""
    ctx.output.id = result.id or ""
  end,
}
