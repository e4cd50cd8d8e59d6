package console

import (
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func TestSessionLifetime(t *testing.T) {
	var s sessions
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id := s.create(auth.Principal{Tenant: "acme"}, nil, now)
	if s.get(id, now) == nil || s.get(id+"x", now) != nil || s.get("", now) != nil {
		t.Fatal("get of a new session, or of a wrong id")
	}
	// Each request keeps it alive, up to maxLifetime.
	at := now
	for at.Sub(now) < maxLifetime-idleTimeout {
		at = at.Add(idleTimeout - time.Minute)
		if s.get(id, at) == nil {
			t.Fatalf("session ended %v after its start, while in use", at.Sub(now))
		}
	}
	if s.get(id, now.Add(maxLifetime)) != nil {
		t.Fatal("session outlived maxLifetime")
	}
	id = s.create(auth.Principal{Operator: true}, nil, now)
	if s.get(id, now.Add(idleTimeout)) != nil {
		t.Fatal("session outlived idleTimeout")
	}
	id = s.create(auth.Principal{Operator: true}, nil, now)
	s.end(id)
	if s.get(id, now) != nil {
		t.Fatal("ended session still there")
	}
}

func TestSessionBound(t *testing.T) {
	var s sessions
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	first := s.create(auth.Principal{Operator: true}, nil, now)
	for i := 1; i < maxSessions; i++ {
		s.create(auth.Principal{Operator: true}, nil, now.Add(time.Duration(i)))
	}
	last := s.create(auth.Principal{Operator: true}, nil, now.Add(time.Minute))
	if len(s.m) != maxSessions {
		t.Fatalf("%d sessions held, want at most %d", len(s.m), maxSessions)
	}
	if s.get(first, now.Add(time.Minute)) != nil || s.get(last, now.Add(time.Minute)) == nil {
		t.Fatal("the oldest session was not the one dropped")
	}
}

func TestChart(t *testing.T) {
	day := 24 * time.Hour
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	buckets := []auth.MigrationBucket{
		{Start: from.Add(-time.Hour), Users: 1000}, // before: left out
		{Start: from, Users: 1},
		{Start: from.Add(23 * time.Hour), Users: 2},
		{Start: from.Add(2*day + 5*time.Hour), Users: 4},
		{Start: from.Add(3 * day), Users: 1000}, // after: left out
	}
	c := newChart("t", buckets, from, day, 3)
	if c.Total != 7 || c.Max != 4 || len(c.Bars) != 3 {
		t.Fatalf("chart: total %d, max %d, %d bars", c.Total, c.Max, len(c.Bars))
	}
	if c.Bars[0].Label != "Mar 1: 3" || c.Bars[1].H != 0 || c.Bars[2].H != chartH-10 || c.Bars[0].H != (chartH-10)*3/4 {
		t.Fatalf("bars: %+v", c.Bars)
	}
	if empty := newChart("t", nil, from, time.Hour, 56); empty.Max != 0 || len(empty.Ticks) != 4 {
		t.Fatalf("empty chart: %+v", empty)
	}
}
