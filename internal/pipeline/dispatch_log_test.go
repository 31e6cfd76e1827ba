package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// lockedBuffer is a log destination the dispatcher's goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDispatchRetryLogLevels: an action's first failure is logged at
// info (a passing hiccup), the failures after it at warn, each with the
// platform's reason.
func TestDispatchRetryLogLevels(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	ctx := context.Background()
	rec := &recorder{fail: map[string][]error{"k000": {errors.New("deleteMessage: 502 Bad Gateway"), errors.New("deleteMessage: 502 Bad Gateway")}}}
	if err := db.Enqueue(ctx, sends(1, func(int) string { return "g" })); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	stop := runDispatcher(t, db, pipeline.Route{Adapter: rec}, pipeline.DispatchConfig{MaxAttempts: 5, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitFor(t, "the action delivered", func() bool { return len(rec.delivered()) == 1 })
	stop()
	var retries []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "will retry") {
			retries = append(retries, l)
		}
	}
	if len(retries) != 2 || !strings.Contains(retries[0], "level=INFO") || !strings.Contains(retries[1], "level=WARN") || !strings.Contains(retries[1], "502 Bad Gateway") {
		t.Errorf("retries logged as:\n%s", strings.Join(retries, "\n"))
	}
}
