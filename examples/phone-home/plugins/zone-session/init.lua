-- zone-session: the X step. Opens a session to the zone (a process held open until Z), then, mid-step,
-- phones home: `lander-call JOB` asks Lander to run the job on cluster B of this environment and prints
-- its outputs as JSON (step → target → values). B's answers become this step's output `rule`.
return lander.template {
  params = { job = { type = "string" } },
  run = function(ctx, p)
    local session = ctx.target:spawn(
      { "sh", "-c", "echo open > session.state; while :; do sleep 0.2; done" }, { name = "zone" })
    local answer = ctx.target:run { "lander-call", p.job, "--var", "cluster=a" }
    local outputs = lander.json.decode(answer.stdout)
    local rules = {}
    for _, values in pairs(outputs.allow or {}) do rules[#rules + 1] = values.stdout end
    if #rules == 0 then error("job " .. p.job .. " gave no rule") end
    table.sort(rules)
    local rule = table.concat(rules, ",")
    ctx.target:run { "sh", "-c", 'echo "$1" > firewall-rule.txt', "write", rule }
    lander.log.info(string.format("%s: session '%s' open, cluster B answered %s", ctx.target.name, session.name, rule))
    ctx.output.rule = rule
    ctx.output.session = session.name
  end,
}
