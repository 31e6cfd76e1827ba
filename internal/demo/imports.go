package demo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/importer"
	"github.com/qunzhu/qunzhu/internal/imports"
)

// ImportStore is what SeedImports reads: the groups and their members.
type ImportStore interface {
	Groups(ctx context.Context, orgID int64) ([]community.Group, error)
	Members(ctx context.Context, groupID int64) ([]community.Member, error)
}

// Importer imports a chat export: *imports.Service.
type Importer interface {
	ImportFile(ctx context.Context, orgID int64, by, path string, u imports.Upload, p imports.Plan, validated *importer.Summary, progress func(imports.Job)) (imports.Job, error)
}

// importLines are what the demo's imported history says.
var importLines = []string{
	"大家好，我是新来的，请多关照", "今天的直播课讲得太好了", "请问作业交到哪里？", "收到", "明天几点上课？", "[图片]", "谢谢老师！",
	"我的小店今天出了第一单", "有没有人一起做短视频的？", "已打卡", "老师，课件能再发一次吗", "[表情包]", "周末的线下沙龙我报名",
}

// SeedImports brings a cohort group's history from before the demo's
// simulated days into qunzhu the way an operator does: a WeChat chat log
// (as MemoTrace exports it, senders by name only) of the group's members,
// imported through the import service into the group. The members it
// names become merge proposals on the import page.
func SeedImports(ctx context.Context, db ImportStore, im Importer, org community.Org, now time.Time, loc *time.Location, w io.Writer) error {
	groups, err := db.Groups(ctx, org.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(groups, func(g community.Group) bool { return g.Kind == community.KindCohort })
	if i < 0 {
		return nil
	}
	g := groups[i]
	members, err := db.Members(ctx, g.ID)
	if err != nil {
		return err
	}
	var names []string
	for _, m := range members {
		if m.Role == community.RoleMember && m.Name != "" && !slices.Contains(names, m.Name) {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	names = names[:min(len(names), 8)]
	if len(names) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "qunzhu-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "聊天记录-"+strings.ReplaceAll(g.Name, "/", "-")+".txt"))
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	r := rand.New(rand.NewPCG(20261125, 13))
	start := now.AddDate(0, 0, -HistoryDays-40).In(loc)
	for d := range 38 {
		day := time.Date(start.Year(), start.Month(), start.Day()+d, 9, 0, 0, 0, loc)
		for n := r.IntN(12); n > 0; n-- {
			at := day.Add(time.Duration(r.IntN(12*3600)) * time.Second)
			fmt.Fprintf(bw, "%s %s\n%s\n\n", at.Format("2006-01-02 15:04:05"), names[r.IntN(len(names))], importLines[r.IntN(len(importLines))])
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(w, "importing the history of %s from a chat log…\n", g.Name)
	if _, err := im.ImportFile(ctx, org.ID, "staff:admin", f.Name(), imports.Upload{Connection: g.Connection, Format: importer.FormatWeChatText, Zone: loc.String()},
		imports.Plan{Zone: loc.String(), Group: g.ExternalID}, nil, nil); err != nil {
		return fmt.Errorf("import %s's history: %w", g.Name, err)
	}
	return nil
}
