package password

import (
	"math"
	"time"
)

// usageHalfLife is how fast a tenant's past use of the hash slots and of
// the processors is forgotten: what counts is the last few seconds.
const usageHalfLife = time.Second

// usage is a tenant's recent use of a resource: the seconds it held it,
// halved every usageHalfLife.
type usage struct {
	sec float64
	at  time.Time
}

// add counts d of use ending at now.
func (u *usage) add(d time.Duration, now time.Time) {
	u.sec = u.value(now) + d.Seconds()
	u.at = now
}

// value returns the use as of now.
func (u *usage) value(now time.Time) float64 {
	if u.sec == 0 {
		return 0
	}
	return u.sec * math.Exp2(-float64(now.Sub(u.at))/float64(usageHalfLife))
}

// usages are the tenants' usage; those forgotten are dropped now and then.
type usages struct {
	m    map[string]*usage
	adds int
}

// add counts d of tenant id's use ending at now.
func (us *usages) add(id string, d time.Duration, now time.Time) {
	if us.m == nil {
		us.m = map[string]*usage{}
	}
	u := us.m[id]
	if u == nil {
		u = &usage{}
		us.m[id] = u
	}
	u.add(d, now)
	if us.adds++; us.adds%1024 == 0 {
		for id, u := range us.m {
			if u.value(now) < 1e-4 { // under 0.1 ms
				delete(us.m, id)
			}
		}
	}
}

// value returns tenant id's use as of now.
func (us *usages) value(id string, now time.Time) float64 {
	if u := us.m[id]; u != nil {
		return u.value(now)
	}
	return 0
}
