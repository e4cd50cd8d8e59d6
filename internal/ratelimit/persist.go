package ratelimit

import "time"

// State is a key's state as a store keeps it across restarts, so that a
// restart is no reset button for an attacker.
type State struct {
	Key string
	// Until is when the key will have fully decayed; after it the key is
	// clean and need not be kept. Zero means the key was reset.
	Until time.Time
}

// Changes returns the keys changed (by Fail, Take or Reset) since the last
// call, each once with its latest state, and forgets them. A caller writes
// them to its store now and then: one write per batch rather than one per
// failure. While more changes are pending than the limiter tracks keys,
// further keys' changes are not recorded.
func (l *Limiter) Changes() []State {
	var out []State
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for key, tat := range s.dirty {
			st := State{Key: key}
			if tat != 0 {
				st.Until = time.Unix(0, tat)
			}
			out = append(out, st)
		}
		clear(s.dirty)
		s.mu.Unlock()
	}
	return out
}

// Restore loads states saved from Changes, at now: keys that have decayed
// by now, have no rule, or were reset are skipped; a key's block is cut to
// its rule's window (the rule may have been shortened since); a key the
// limiter already tracks keeps the later of the two states. Restored keys
// are not reported by Changes.
func (l *Limiter) Restore(now time.Time, states []State) {
	t := now.UnixNano()
	for _, st := range states {
		r, s, ok := l.lookup(st.Key)
		if !ok || st.Until.IsZero() {
			continue
		}
		tat := min(st.Until.UnixNano(), t+r.tolerance+r.window)
		if tat <= t {
			continue
		}
		s.mu.Lock()
		e := s.m[st.Key]
		if e == nil {
			e = s.insert(st.Key, t)
		}
		e.tat = max(e.tat, tat)
		s.mu.Unlock()
	}
}
