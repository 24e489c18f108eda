import VerdictCommands

VerdictCommand.main()
