package importer

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// importString imports input as Import does (two passes) with connection
// "c" and returns every event.
func importString(t testing.TB, input string, opt Options) ([]chat.Event, Summary, error) {
	t.Helper()
	if opt.Connection == "" {
		opt.Connection = "c"
	}
	var evs []chat.Event
	sum, err := Import(context.Background(), func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(input)), nil
	}, opt, func(_ context.Context, b Batch) error {
		evs = append(evs, b.Events...)
		return nil
	})
	for i := range evs {
		if cerr := checkEvent(&evs[i]); cerr != nil {
			t.Errorf("event %d (%s): %v", i, evs[i].ID, cerr)
		}
	}
	return evs, sum, err
}

// mustImport is importString that fails the test on an error.
func mustImport(t testing.TB, input string, opt Options) ([]chat.Event, Summary) {
	t.Helper()
	evs, sum, err := importString(t, input, opt)
	if err != nil {
		t.Fatal(err)
	}
	return evs, sum
}

// brief writes an event on one line: its id (without the group), type,
// sender and what matters for its type.
func brief(e chat.Event) string {
	var b strings.Builder
	id := strings.TrimPrefix(e.ID, e.Group+":")
	if h, ok := strings.CutPrefix(id, "imp:"); ok && len(h) == 24 {
		id = "imp" // a hash: see TestIDs for their stability
	}
	fmt.Fprintf(&b, "%s %s", id, e.Type)
	user := func(u chat.User) string {
		if u.Name == "" {
			return u.ID
		}
		return u.ID + "(" + u.Name + ")"
	}
	if e.Sender.ID != "" {
		b.WriteString(" " + user(e.Sender))
	}
	if m := e.Message; m != nil {
		fmt.Fprintf(&b, " %s %q", m.Kind, m.Text)
		if m.URL != "" {
			b.WriteString(" url=" + m.URL)
		}
		if m.ReplyTo != "" {
			b.WriteString(" reply=" + m.ReplyTo)
		}
		if len(m.Mentions) > 0 {
			b.WriteString(" mentions=" + strings.Join(m.Mentions, ","))
		}
		if m.MentionAll {
			b.WriteString(" all")
		}
	}
	if e.Source != "" {
		b.WriteString(" source=" + string(e.Source))
	}
	if e.Inviter != nil {
		b.WriteString(" inviter=" + user(*e.Inviter))
	}
	if e.Reason != "" {
		b.WriteString(" reason=" + string(e.Reason))
	}
	if e.Actor != nil {
		b.WriteString(" actor=" + user(*e.Actor))
	}
	if e.Type == chat.EventGroupCreated || e.Type == chat.EventGroupRenamed {
		fmt.Fprintf(&b, " name=%q", e.GroupName)
	}
	return b.String()
}

func briefs(evs []chat.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = brief(e)
	}
	return out
}

// sameLines fails with both lists when got differs from want.
func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// nameID is the name identity of name in group.
func nameID(group, name string) string {
	st := newState(Options{})
	st.cur = &groupState{sum: GroupSummary{ID: group}}
	return st.nameUser(name).ID
}
