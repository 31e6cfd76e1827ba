package pipeline

// lru is a map of bounded size that forgets the entries used least
// recently first (approximately): entries live in two generations, a
// lookup moves an entry of the old generation to the current one, and when
// the current one is full the old one is dropped and the current one
// becomes old. So it never holds more than limit entries, and an entry
// used within the last limit/2 insertions is kept — the ingester's caches
// of groups, people and memberships stay bounded however many people an
// installation sees, while the active ones stay cached.
type lru[K comparable, V any] struct {
	half     int
	cur, old map[K]V
}

func newLRU[K comparable, V any](limit int) *lru[K, V] {
	half := max(1, limit/2)
	return &lru[K, V]{half: half, cur: make(map[K]V), old: make(map[K]V)}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.old[k]
	if ok {
		delete(c.old, k)
		c.put(k, v)
	}
	return v, ok
}

func (c *lru[K, V]) put(k K, v V) {
	if _, ok := c.cur[k]; !ok && len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[K]V, c.half)
	}
	delete(c.old, k)
	c.cur[k] = v
}

func (c *lru[K, V]) del(k K) {
	delete(c.cur, k)
	delete(c.old, k)
}

func (c *lru[K, V]) clear() {
	clear(c.cur)
	clear(c.old)
}

func (c *lru[K, V]) len() int { return len(c.cur) + len(c.old) }
