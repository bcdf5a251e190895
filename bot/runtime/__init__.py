"""How Relais runs: the Bolt app factory, the HTTP front, Socket Mode, the scheduler, start-up,
`check` and the command line. The runtime imports the features; no feature imports the runtime."""
