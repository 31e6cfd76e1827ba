package content

import "context"

// LintSource reads what a script is linted against: the scripts already
// scheduled or published (near-duplicates) and its card (a link's words
// are pasted, not the author's). internal/store implements it.
type LintSource interface {
	Scripts(ctx context.Context, orgID int64, status Status) ([]Script, error)
	ScriptCardOf(ctx context.Context, orgID, scriptID int64) (ScriptCard, error)
}

// LintText lints a script's text as the reviewer sees it: the text given
// (a stored script's, or one being written), the card of script self
// (0: none yet), against every scheduled or published script but self;
// the matcher adds the banned categories (nil leaves them out).
func LintText(ctx context.Context, src LintSource, orgID, self int64, in LintInput, m CategoryMatcher) ([]Finding, error) {
	opts := LintOptions{Matcher: m}
	for _, st := range []Status{Scheduled, Published} {
		list, err := src.Scripts(ctx, orgID, st)
		if err != nil {
			return nil, err
		}
		for _, p := range list {
			if p.ID != self {
				opts.Pushed = append(opts.Pushed, NewPushed(p.ID, LintInput{Title: p.Title, Body: p.Body}))
			}
		}
	}
	if self != 0 {
		card, err := src.ScriptCardOf(ctx, orgID, self)
		if err != nil {
			return nil, err
		}
		if card.LinkURL != "" {
			in.Kind, in.URL, in.Excerpt = KindLink, card.LinkURL, card.Excerpt
		}
	}
	return Lint(in, opts), nil
}

// LintScript lints a stored script (LintText with its own text).
func LintScript(ctx context.Context, src LintSource, sc Script, m CategoryMatcher) ([]Finding, error) {
	return LintText(ctx, src, sc.OrgID, sc.ID, LintInput{Title: sc.Title, Body: sc.Body}, m)
}
