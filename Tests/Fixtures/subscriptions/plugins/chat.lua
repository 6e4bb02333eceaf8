-- A subscription formatter: reshapes an event into a chat message (Slack's incoming-webhook shape).
return {
  message = function(event, facts)
    return {
      text = string.format("%s %s → %s: %s", facts.project, facts.version or "?", facts.environment, facts.kind),
      deployment = event.deployment,
      error = event.error,
    }
  end,
}
