package console

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/qunzhu/qunzhu/internal/analytics"
)

// BarChart draws day counts as an inline SVG bar chart, server-side: no
// script, no CDN.
func BarChart(days []analytics.DayCount, title string) template.HTML {
	const w, h, pad = 600, 160, 24
	maxv := 1
	for _, d := range days {
		maxv = max(maxv, d.Count)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, h+pad, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(title))
	if len(days) > 0 {
		bw := float64(w) / float64(len(days))
		for i, d := range days {
			bh := float64(h-pad) * float64(d.Count) / float64(maxv)
			x := float64(i)*bw + 1
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
				x, float64(h)-bh, bw-2, bh, d.Day.Format("01-02"), d.Count)
			if (i%7 == 0 && len(days)-1-i >= 4) || i == len(days)-1 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`, x, h+16, d.Day.Format("01-02"))
			}
		}
	}
	fmt.Fprintf(&b, `<text x="0" y="12" class="max">%d</text></svg>`, maxv)
	return template.HTML(b.String())
}
