package pipeline

// ParseCommunityCommand exposes parseCommand to the tests.
var ParseCommunityCommand = parseCommand
