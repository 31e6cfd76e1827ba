package app

import (
	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/connections"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/demo"
	"github.com/qunzhu/qunzhu/internal/imports"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
)

// The store serves every consumer through the small interface the
// consumer declares; app is where the two meet. These checks keep the
// store's methods and the consumers' interfaces in step at compile time.
var (
	_ community.Directory = (*store.DB)(nil)
	_ community.Partners  = (*store.DB)(nil)
	_ community.Growth    = (*store.DB)(nil)
	_ content.Library     = (*store.DB)(nil)
	_ chat.Cursors        = (*store.DB)(nil)
	_ pipeline.Store      = (*store.DB)(nil)
	_ pipeline.Outbox     = (*store.DB)(nil)

	_ api.Store     = (*store.DB)(nil)
	_ api.Admin     = (*store.DB)(nil)
	_ api.Content   = (*store.DB)(nil)
	_ api.AuditLog  = (*store.DB)(nil)
	_ api.Analytics = (*store.DB)(nil)
	_ api.Structure = (*store.DB)(nil)

	_ console.Store           = (*store.DB)(nil)
	_ console.HealthSource    = (*store.DB)(nil)
	_ console.QuestionSource  = (*store.DB)(nil)
	_ console.DigestSource    = (*store.DB)(nil)
	_ console.DuplicateSource = (*store.DB)(nil)
	_ console.ChurnSource     = (*store.DB)(nil)
	_ console.NewcomerSource  = (*store.DB)(nil)
	_ console.AccountSource   = (*store.DB)(nil)
	_ console.AppealSource    = (*store.DB)(nil)
	_ console.PersonNames     = (*store.DB)(nil)
	_ console.ProfileSource   = (*store.DB)(nil)
	_ console.ContentSource   = (*store.DB)(nil)
	_ console.CommunitySource = (*store.DB)(nil)
	_ console.FiguresStore    = (*store.DB)(nil)
	_ console.Auditor         = (*store.DB)(nil)
	_ console.ShortCodeSource = (*store.DB)(nil)
	_ console.EventRunner     = (*store.DB)(nil)
	_ console.Maintenance     = (*store.DB)(nil)
	_ console.TreeSource      = (*store.DB)(nil)
	_ console.PartnerSource   = (*store.DB)(nil)
	_ console.GrowthSource    = (*store.DB)(nil)
	_ console.ReplaySource    = (*store.DB)(nil)
	_ console.BotAsks         = (*store.DB)(nil)
	_ contextStore            = (*store.DB)(nil)

	_ demo.Store       = (*store.DB)(nil)
	_ demo.EventsStore = (*store.DB)(nil)

	_ imports.Store        = (*store.DB)(nil)
	_ console.ImportSource = (*imports.Service)(nil)
)

// The connections' lifecycle (connections.go, connadmin.go).
var (
	_ pipeline.FencedOutbox = (*store.DB)(nil)
	_ connections.Leases    = (*store.DB)(nil)
	_ console.SetupSource   = (*store.DB)(nil)
)
