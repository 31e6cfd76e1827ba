package chat

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is qunzhu's one duration type: in JSON (actions on the wire)
// it is whole seconds, see MarshalJSON in chat.go; as text (configuration
// and rules files, command arguments) a Go duration ("90s", "1h30m") or
// whole days ("30d").

// maxDays is the most days a time.Duration holds.
const maxDays = int(math.MaxInt64 / int64(24*time.Hour))

// ParseDuration reads a Go duration or whole days ("30d"); negative
// durations, and days beyond what a duration holds, are refused.
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= maxDays && strconv.Itoa(n) == days {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("want a duration like 500ms, 5s, 2m, 1h or 30d, got %q", s)
	}
	return v, nil
}

// UnmarshalText reads a Go duration or whole days ("30d").
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes a Go duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }
