-- big-upload: puts a (large) file on the target, then records its size there.
return lander.template {
  params = { source = { type = "string" } },
  run = function(ctx, p)
    if p.source == "" then return end
    ctx.target:upload(p.source, "big.bin")
    ctx.target:run { "sh", "-c", "wc -c < big.bin > big.size" }
  end,
}
