package console_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// TestChurnPage: a regular who left is marked formerly active, a removed
// member says so, a departed assistant's group gets its secretary as
// successor; a region's secretary sees only its groups' leaves.
func TestChurnPage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, d := w.personIn(w.cohort.ID, "学员a"), w.personIn(w.cohort.ID, "学员d")
	var msgs []community.Message
	for i := 1; i <= 3; i++ {
		msgs = append(msgs, community.Message{GroupID: w.cohort.ID, PersonID: a, ExternalID: fmt.Sprint("c", i), Kind: chat.KindText, Text: "打卡", SentAt: now.AddDate(0, 0, -i)})
	}
	var staff [2]int64
	for i, name := range []string{"店小二阿珍", "秘书长老王"} {
		if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			staff[i], err = tx.ResolvePerson(ctx, w.org.ID, "wx", "wecom", chat.User{ID: fmt.Sprint("staff", i), Name: name})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		role := []community.Role{community.RoleAssistant, community.RoleSecretary}[i]
		if err := w.db.AddMembership(ctx, &community.Membership{GroupID: w.cohort.ID, PersonID: staff[i], Role: role, JoinedAt: now.AddDate(0, 0, -50)}); err != nil {
			t.Fatal(err)
		}
	}
	msgs = append(msgs, community.Message{GroupID: w.cohort.ID, PersonID: staff[1], ExternalID: "c9", Kind: chat.KindText, Text: "通知", SentAt: now.AddDate(0, 0, -1)})
	if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error { return tx.InsertMessages(ctx, msgs) }); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Rollup(ctx, w.org.ID, now, cst(t), 60); err != nil {
		t.Fatal(err)
	}
	leave := func(person, group int64, reason string, ago time.Duration) {
		if _, err := w.db.SQL().ExecContext(ctx, w.db.Rebind(`UPDATE memberships SET left_at = ?, left_reason = ? WHERE person_id = ? AND group_id = ? AND left_at IS NULL`),
			now.Add(-ago).UnixMilli(), reason, person, group); err != nil {
			t.Fatal(err)
		}
	}
	leave(a, w.cohort.ID, "left", time.Hour)
	leave(d, w.cohort.ID, "removed", 2*time.Hour)
	leave(staff[0], w.cohort.ID, "left", 3*time.Hour)
	owner := w.personIn(w.enrol.ID, "咨询者")
	leave(owner, w.enrol.ID, "left", 4*time.Hour)
	w.srv.Churn = w.db
	m := w.user()
	page := w.page(m, "/churn")
	row := func(page string, person, group int64) string {
		return between(page, fmt.Sprintf(`id="churn-%d-%d"`, person, group), "</tr>")
	}
	contains(t, "the churn log", page, "退群记录", "学员a", "学员d", "咨询者", `id="churn-staff"`, "建议由 <span class=\"ud\">秘书长老王</span> 接手（最近 30 天发言 1 条）")
	contains(t, "a's row", row(page, a, w.cohort.ID), "活跃成员", "主动退群")
	contains(t, "d's row", row(page, d, w.cohort.ID), "被移出")
	lacks(t, "d's row", row(page, d, w.cohort.ID), "活跃成员")
	if n := between(page, `id="churn-all">`, "<"); n != "4" {
		t.Errorf("leaves: %q", n)
	}
	active := w.page(m, "/churn?active=1")
	if row(active, a, w.cohort.ID) == "" || row(active, d, w.cohort.ID) != "" {
		t.Errorf("formerly active only lists others")
	}
	contains(t, "the English page", w.page(m, "/churn?lang=en"), "Churn log", "formerly active", "suggested successor")
	w.page(m, "/churn?lang=zh")
	if code := w.status(m, "/churn?days=2"); code != 400 {
		t.Errorf("days=2: %d", code)
	}
	sec := w.scoped("shop-sec", access.Secretary, w.shop.ID, 0)
	page = w.page(sec, "/churn")
	contains(t, "the shop's secretary", page, "学员a")
	lacks(t, "the shop's secretary", page, "咨询者")
}
