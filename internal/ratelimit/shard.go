package ratelimit

import "sync"

// entry is one tracked key, in its shard's map and recency list.
type entry struct {
	key string
	// tat is the theoretical arrival time of the next failure (GCRA), in
	// Unix nanoseconds: the bucket is empty, and the entry can be dropped,
	// once the clock passes it.
	tat        int64
	prev, next *entry
}

// shard is a bounded map of entries with a list from least to most recently
// failed.
type shard struct {
	mu   sync.Mutex
	m    map[string]*entry
	cap  int
	head entry // sentinel: head.next is the oldest, head.prev the newest
	// dirty holds the keys changed since the last Changes, with their new
	// tat (0: reset); at most cap of them.
	dirty map[string]int64
}

func (s *shard) init(capacity int) {
	s.cap = max(capacity, 1)
	s.m = make(map[string]*entry)
	s.dirty = make(map[string]int64)
	s.head.next, s.head.prev = &s.head, &s.head
}

// changed records key's new tat for Changes. When cap changes are pending
// already, a new key's change is not recorded: the limiter itself stays
// right, only its copy in the store lags.
func (s *shard) changed(key string, tat int64) {
	if _, ok := s.dirty[key]; ok || len(s.dirty) < s.cap {
		s.dirty[key] = tat
	}
}

// insert adds key, first dropping decayed entries from the old end of the
// list and, if the shard is still full, the oldest entry.
func (s *shard) insert(key string, now int64) *entry {
	for e := s.head.next; e != &s.head && e.tat <= now; e = s.head.next {
		s.remove(e)
	}
	if len(s.m) >= s.cap {
		s.remove(s.head.next)
	}
	e := &entry{key: key}
	s.m[key] = e
	s.pushBack(e)
	return e
}

// touch moves e to the newest end of the list.
func (s *shard) touch(e *entry) {
	s.unlink(e)
	s.pushBack(e)
}

func (s *shard) remove(e *entry) {
	s.unlink(e)
	delete(s.m, e.key)
}

func (s *shard) pushBack(e *entry) {
	e.prev, e.next = s.head.prev, &s.head
	s.head.prev.next = e
	s.head.prev = e
}

func (s *shard) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}
