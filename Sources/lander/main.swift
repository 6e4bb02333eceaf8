import LanderCommands

await LanderCommand.start()
