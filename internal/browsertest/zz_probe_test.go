package browsertest

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestZZProbe(t *testing.T) {
	if os.Getenv("PROBE") == "" {
		t.Skip()
	}
	srv := serveSite(t, siteDirectory(t), "")
	for i := 0; i < 2; i++ {
		b := newBrowser(t)
		b.run("blank", chromedp.Navigate("about:blank"))
		start := time.Now()
		b.run("nav", chromedp.Navigate(srv.URL+"/?lesson=hash-buckets"), chromedp.WaitReady("#bp-player", chromedp.ByQuery))
		total := time.Since(start)
		var res map[string]float64
		b.eval(`(() => { const r = performance.getEntriesByName(location.origin + "/web/app.wasm")[0]; const n = performance.getEntriesByType("navigation")[0]; return {wasmStart: r.startTime, wasmEnd: r.responseEnd, dcl: n.domContentLoadedEventEnd, now: performance.now()}; })()`, &res)
		t.Logf("total %v; perf: %v", total, res)
	}
}
