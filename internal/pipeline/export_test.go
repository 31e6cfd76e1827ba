package pipeline

// ParseCommunityCommand exposes parseCommand to the tests.
var ParseCommunityCommand = parseCommand

// CacheSizes reports how many entries the ingester's lookup caches hold.
func (in *Ingester) CacheSizes() (groups, people, members int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.groups.len(), in.people.len(), in.members.len()
}
