-- release-dir: makes releases/<version> under the target's root, records the version in it, keeps the
-- newest `keep` releases, and hands the directory to later steps as ctx.outputs.<step>.dir.
return lander.template {
  description = "Create releases/<version> on the target and prune old releases",
  params = {
    keep = { type = "integer", default = 5 },
  },
  run = function(ctx, p)
    if p.keep < 1 then error("keep must be at least 1, got " .. p.keep) end
    local dir = ctx.target.root .. "/releases/" .. ctx.release.version
    ctx.target:run { "mkdir", "-p", dir }
    ctx.target:run { "sh", "-c", 'printf "%s\\n" "$1" > "$2/VERSION"', "release-dir", ctx.release.version, dir }
    -- Newest first by modification time; everything past `keep` goes (never the one just made).
    local listing = ctx.target:run { "ls", "-1t", ctx.target.root .. "/releases" }
    local index = 0
    for name in listing.stdout:gmatch("[^\n]+") do
      index = index + 1
      if index > p.keep and name ~= ctx.release.version then
        ctx.target:run { "rm", "-rf", ctx.target.root .. "/releases/" .. name }
        lander.log.info("release-dir: removed old release " .. name)
      end
    end
    ctx.output.dir = dir
  end,
}
