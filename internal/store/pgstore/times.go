package pgstore

import (
	"fmt"
	"time"
)

// Times are stored as bigint Unix nanoseconds (migration 00002), the
// precision of badgerstore and of the backup format, so that a backup of
// either store restored into the other exports the same times. The zero
// time is NULL.

// minNanos and maxNanos bound the times a bigint of Unix nanoseconds holds
// (the years 1678 to 2262).
var (
	minNanos = time.Unix(0, -1<<63)
	maxNanos = time.Unix(0, 1<<63-1)
)

// nanos returns t as Unix nanoseconds for a bigint column, or nil (NULL)
// for the zero time.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// checkTime refuses a time that a bigint of Unix nanoseconds cannot hold.
func checkTime(what string, t time.Time) error {
	if !t.IsZero() && (t.Before(minNanos) || t.After(maxNanos)) {
		return fmt.Errorf("pgstore: %s: the time %s is outside the years 1678 to 2262, which the store holds", what, t.Format(time.RFC3339))
	}
	return nil
}

// nsTime scans a nullable bigint of Unix nanoseconds into a time.Time: UTC,
// the zero time for NULL.
type nsTime time.Time

// ns returns the scan destination of a time column for *t.
func ns(t *time.Time) *nsTime { return (*nsTime)(t) }

func (n *nsTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n = nsTime{}
	case int64:
		*n = nsTime(time.Unix(0, v).UTC())
	default:
		return fmt.Errorf("pgstore: a time column holds %T", src)
	}
	return nil
}
