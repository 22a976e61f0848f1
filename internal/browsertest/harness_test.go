package browsertest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpfplay/bpfplay/web/site"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// repoRoot is the module root (two levels up from this package).
func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// requireBrowser skips without chromium, unless BPFPLAY_REQUIRE_BROWSER=1.
func requireBrowser(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("BPFPLAY_REQUIRE_BROWSER") == "1" {
			t.Fatalf("chromium is required (BPFPLAY_REQUIRE_BROWSER=1) but %s is missing: apt-get install -y chromium", chromiumPath)
		}
		t.Skipf("%s is missing; install chromium to run the browser tests", chromiumPath)
	}
}

var (
	siteOnce  sync.Once
	siteDir   string
	siteErr   error
	siteBuilt bool // siteDir is a temporary build to remove at the end
)

func TestMain(m *testing.M) {
	code := m.Run()
	if siteBuilt && siteDir != "" {
		os.RemoveAll(siteDir)
	}
	os.Exit(code)
}

// siteDirectory returns the static site to test: $BPFPLAY_SITE (written by
// make site), or one built here into a temporary directory.
func siteDirectory(t testing.TB) string {
	t.Helper()
	siteOnce.Do(func() {
		if d := os.Getenv("BPFPLAY_SITE"); d != "" {
			if _, err := os.Stat(filepath.Join(d, "index.html")); err != nil {
				siteErr = fmt.Errorf("BPFPLAY_SITE=%s has no index.html: run make site", d)
			}
			siteDir = d
			return
		}
		siteDir, siteErr = buildSite(repoRoot(t), "./wasm", "")
		siteBuilt = siteErr == nil
	})
	if siteErr != nil {
		if os.Getenv("BPFPLAY_REQUIRE_BROWSER") == "1" {
			t.Fatal(siteErr)
		}
		t.Skip(siteErr)
	}
	return siteDir
}

// buildSite builds pkg for js/wasm and writes its static site (prefix "")
// into a new temporary directory.
func buildSite(root, pkg, prefix string) (string, error) {
	dir, err := os.MkdirTemp("", "bpfplay-site-")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dir, "web"), 0o755); err != nil {
		return "", err
	}
	// The Makefile's build (scripts/build-wasm.sh), for both apps.
	build := exec.Command("sh", "scripts/build-wasm.sh", filepath.Join(dir, "web", "app.wasm"), pkg)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s for wasm: %v\n%s", pkg, err, out)
	}
	gen := exec.Command("go", "run", pkg, "-out", dir, "-prefix", prefix)
	gen.Dir = root
	if out, err := gen.CombinedOutput(); err != nil {
		return "", fmt.Errorf("writing the site of %s: %v\n%s", pkg, err, out)
	}
	return dir, nil
}

// serveSite serves dir under prefix on loopback.
func serveSite(t testing.TB, dir, prefix string) *httptest.Server {
	srv := httptest.NewServer(site.Files(dir, prefix))
	t.Cleanup(srv.Close)
	return srv
}

// offOriginProxy is the browser's proxy. Chromium sends loopback requests
// directly, so every request that reaches the proxy was for another origin:
// it is recorded and refused.
type offOriginProxy struct {
	ln   net.Listener
	mu   sync.Mutex
	seen []string
}

func newProxy(t testing.TB) *offOriginProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &offOriginProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				line, _ := bufio.NewReader(c).ReadString('\n')
				p.mu.Lock()
				p.seen = append(p.seen, strings.TrimSpace(line))
				p.mu.Unlock()
				io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *offOriginProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// browser is one chromium with a fresh profile, recording console errors,
// exceptions and every network request of the page.
type browser struct {
	t        testing.TB
	ctx      context.Context
	proxy    *offOriginProxy
	mu       sync.Mutex
	errors   []string
	requests []string
	// close stops chromium and removes its profile; it runs at the end of
	// the test, or earlier for a test that starts many browsers.
	close func()
}

// newBrowser starts chromium with the flags of toolchain.md and a fresh
// --user-data-dir.
func newBrowser(t testing.TB) *browser {
	t.Helper()
	requireBrowser(t)
	proxy := newProxy(t)
	profile, err := os.MkdirTemp("", "bpfplay-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-features", "NetworkTimeServiceQuerying,Translate,OptimizationHints,MediaRouter,AutofillServerCommunication"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("proxy-server", "http://"+proxy.ln.Addr().String()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, proxy: proxy}
	chromedp.ListenTarget(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *cdpruntime.EventConsoleAPICalled:
			if ev.Type == cdpruntime.APITypeError || ev.Type == cdpruntime.APITypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.errors = append(b.errors, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
			}
		case *cdpruntime.EventExceptionThrown:
			b.errors = append(b.errors, "exception: "+ev.ExceptionDetails.Error())
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.LevelError {
				b.errors = append(b.errors, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			b.requests = append(b.requests, ev.Request.URL)
		}
	})
	if err := chromedp.Run(ctx, network.Enable(), cdplog.Enable(), cdpruntime.Enable()); err != nil {
		cancelC()
		cancelA()
		t.Fatalf("starting chromium: %v", err)
	}
	b.close = func() {
		cancelC()
		cancelA()
		os.RemoveAll(profile)
	}
	t.Cleanup(b.close)
	return b
}

// run runs chromedp actions with a timeout, failing the test on error.
func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to url and waits until the client has rendered (#bp-ready
// exists only after the wasm app has read the URL; the prerendered page
// does not have it).
func (b *browser) open(url string) {
	b.t.Helper()
	b.run("open "+url, chromedp.Navigate(url), chromedp.WaitReady("#bp-ready", chromedp.ByQuery))
}

// attr reads an attribute of the first element matching sel.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	var v string
	var ok bool
	b.run("read "+sel+"@"+name, chromedp.AttributeValue(sel, name, &v, &ok, chromedp.ByQuery))
	return v
}

// eval evaluates a JS expression into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	b.run("eval "+expr, chromedp.Evaluate(expr, out))
}

// waitStep waits until the app shows step n (1-based).
func (b *browser) waitStep(n int) {
	b.t.Helper()
	sel := fmt.Sprintf(`#bp-ready[data-step="%d"]`, n)
	b.run(fmt.Sprintf("wait for step %d", n), chromedp.WaitReady(sel, chromedp.ByQuery))
}

// key sends one key press to the page body.
func (b *browser) key(k string) {
	b.t.Helper()
	b.run("key "+k, chromedp.KeyEvent(k))
}

// check fails the test on console errors and off-origin requests so far.
func (b *browser) check(origin string) {
	b.t.Helper()
	b.mu.Lock()
	errs := append([]string(nil), b.errors...)
	reqs := append([]string(nil), b.requests...)
	b.mu.Unlock()
	for _, e := range errs {
		b.t.Errorf("browser error: %s", e)
	}
	for _, r := range reqs {
		if !strings.HasPrefix(r, origin) && !strings.HasPrefix(r, "data:") && !strings.HasPrefix(r, "blob:") {
			b.t.Errorf("off-origin request from the page: %s", r)
		}
	}
	for _, r := range b.proxy.requests() {
		if browserInternal(r) {
			continue
		}
		b.t.Errorf("off-origin request (reached the proxy): %s", r)
	}
}

// screenshot writes a full-page PNG to build/screenshots/name.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	var buf []byte
	b.run("screenshot", chromedp.FullScreenshot(&buf, 100))
	dir := filepath.Join(repoRoot(b.t), "build", "screenshots")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		b.t.Errorf("screenshot: %v", err)
	}
}

// browserInternal recognises Chromium's own background requests (sign-in,
// component and time services), which even the quiet flags do not stop.
// They come from the browser, not from the page or its service worker.
// Anything else that reaches the proxy fails the test.
func browserInternal(reqLine string) bool {
	f := strings.Fields(reqLine)
	if len(f) < 2 {
		return false
	}
	target := f[1]
	for _, h := range []string{"accounts.google.com", "clients2.google.com", "update.googleapis.com", "clientservices.googleapis.com", "content-autofill.googleapis.com", "optimizationguide-pa.googleapis.com"} {
		if target == h+":443" || strings.HasPrefix(target, "http://"+h+"/") || strings.HasPrefix(target, "https://"+h+"/") {
			return true
		}
	}
	return false
}
