package browsertest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bpfplay/bpfplay/lessons"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBenchSizeAndColdStart compares bpfplay with the minimal go-app app
// (internal/minimalapp), both built the same way in this run: wasm size raw,
// gzip -9 and brotli -q 11, and cold start (navigation to the first
// interactive lesson / the minimal app's client-rendered element, fresh
// profile, headless, median of 5). Gated by BPFPLAY_BENCH=1; it prints a
// table and writes build/bench.txt. Targets: <= 1.3x brotli size and
// <= 1.3x cold start.
func TestBenchSizeAndColdStart(t *testing.T) {
	if os.Getenv("BPFPLAY_BENCH") != "1" {
		t.Skip("set BPFPLAY_BENCH=1 to measure size and cold start")
	}
	requireBrowser(t)
	root := repoRoot(t)
	ours, err := buildSite(root, "./wasm", "")
	if err != nil {
		t.Fatal(err)
	}
	base, err := buildSite(root, "./internal/minimalapp/cmd", "")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(ours)
	defer os.RemoveAll(base)

	so, sb := sizes(t, filepath.Join(ours, "web", "app.wasm")), sizes(t, filepath.Join(base, "web", "app.wasm"))

	ls, err := lessons.Load()
	if err != nil || len(ls) == 0 {
		t.Fatalf("no lessons: %v", err)
	}
	srvO, srvB := serveSite(t, ours, ""), serveSite(t, base, "")
	co := coldStart(t, srvO.URL+"/?lesson="+ls[0].ID, "#bp-player")
	cb := coldStart(t, srvB.URL+"/", "#ready")

	var out strings.Builder
	fmt.Fprintf(&out, "%-10s %12s %12s %12s %12s\n", "", "raw", "gzip -9", "brotli -q11", "cold start")
	fmt.Fprintf(&out, "%-10s %12s %12s %12s %12s\n", "minimal", mib(sb[0]), mib(sb[1]), mib(sb[2]), cb)
	fmt.Fprintf(&out, "%-10s %12s %12s %12s %12s\n", "bpfplay", mib(so[0]), mib(so[1]), mib(so[2]), co)
	fmt.Fprintf(&out, "%-10s %12s %12s %12s %12s\n", "ratio", ratio(so[0], sb[0]), ratio(so[1], sb[1]), ratio(so[2], sb[2]), ratio(int64(co), int64(cb)))
	fmt.Fprintf(&out, "\nlargest packages in bpfplay's app.wasm (compiled archives):\n%s", topPackages(t, root))
	t.Log("\n" + out.String())
	os.MkdirAll(filepath.Join(root, "build"), 0o755)
	os.WriteFile(filepath.Join(root, "build", "bench.txt"), []byte(out.String()), 0o644)
	if float64(so[2]) > 1.3*float64(sb[2]) && sb[2] > 0 {
		t.Errorf("brotli size ratio %s is above the 1.3x target", ratio(so[2], sb[2]))
	}
	if float64(co) > 1.3*float64(cb) {
		t.Errorf("cold start ratio %s is above the 1.3x target", ratio(int64(co), int64(cb)))
	}
}

// sizes returns raw, gzip -9 and brotli -q 11 sizes (brotli 0 when the
// brotli tool is missing).
func sizes(t *testing.T, path string) [3]int64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(raw)
	w.Close()
	var br int64
	if out, err := exec.Command("brotli", "-c", "-q", "11", path).Output(); err == nil {
		br = int64(len(out))
	} else {
		t.Logf("brotli not available (apt-get install brotli): %v", err)
	}
	return [3]int64{int64(len(raw)), int64(gz.Len()), br}
}

// coldStart is the median of 5 navigations, each in a fresh browser
// profile: the time from navigation start until sel first exists in the
// DOM (client-rendered), measured inside the page with performance.now()
// by a MutationObserver installed before any page script runs, so the
// test driver's polling does not count.
func coldStart(t *testing.T, url, sel string) time.Duration {
	watch := fmt.Sprintf(`(() => {
  const sel = %q;
  const check = () => { if (!window.__bpReadyAt && document.querySelector(sel)) window.__bpReadyAt = performance.now(); };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
})();`, sel)
	var ds []time.Duration
	for i := 0; i < 5; i++ {
		b := newBrowser(t)
		b.run("install watcher", chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(watch).Do(ctx)
			return err
		}))
		ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
		var ms float64
		err := chromedp.Run(ctx, chromedp.Navigate(url), chromedp.WaitReady(sel, chromedp.ByQuery),
			chromedp.Poll(`window.__bpReadyAt`, &ms, chromedp.WithPollingTimeout(30*time.Second)))
		cancel()
		if err != nil {
			t.Fatalf("cold start of %s: %v", url, err)
		}
		ds = append(ds, time.Duration(ms*float64(time.Millisecond)))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[2].Round(time.Millisecond)
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

func ratio(a, b int64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", float64(a)/float64(b))
}

// topPackages lists what bpfplay links beyond the minimal go-app app, with
// each extra package's size in the build cache's archive (a rough measure;
// go tool nm does not read wasm).
func topPackages(t *testing.T, root string) string {
	list := func(pkg string) map[string]string {
		cmd := exec.Command("go", "list", "-deps", "-export", "-f", "{{.ImportPath}} {{.Export}}", pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		out, err := cmd.Output()
		if err != nil {
			return nil
		}
		m := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				m[f[0]] = f[1]
			}
		}
		return m
	}
	ours, base := list("./wasm"), list("./internal/minimalapp/cmd")
	type kv struct {
		k string
		v int64
	}
	var extra []kv
	var total int64
	for p, f := range ours {
		if _, ok := base[p]; ok {
			continue
		}
		if fi, err := os.Stat(f); err == nil {
			extra = append(extra, kv{p, fi.Size()})
			total += fi.Size()
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].v > extra[j].v })
	var b strings.Builder
	fmt.Fprintf(&b, "  %d packages beyond the minimal app, %.0f KiB of export data in total; largest:\n", len(extra), float64(total)/1024)
	for i, e := range extra {
		if i == 15 {
			break
		}
		fmt.Fprintf(&b, "  %8.0f KiB  %s\n", float64(e.v)/1024, e.k)
	}
	return b.String()
}
