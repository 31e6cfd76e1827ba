package pipeline

// ParseCommand exposes parseCommand to the tests.
var ParseCommand = parseCommand
