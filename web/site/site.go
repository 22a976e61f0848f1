// Package site writes and serves the static bpfplay site. It is used by the
// native entry only (wasm/main_native.go), never linked into app.wasm.
package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/bpfplay/bpfplay/lessons"
	"github.com/bpfplay/bpfplay/static"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// CleanPrefix normalises a URL prefix: "" or "/a/b" (no trailing slash).
func CleanPrefix(p string) string {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if p == "" {
		return ""
	}
	return "/" + p
}

// Handler is the go-app handler of the site: local icons and CSS only, a
// loading label, and a service worker that serves the cached app offline.
// cacheable are more static files (under /web) for the worker to cache.
func Handler(prefix, version string, cacheable []string) *app.Handler {
	h := &app.Handler{
		Name:            "bpfplay",
		ShortName:       "bpfplay",
		Title:           "bpfplay — eBPF maps, step by step",
		Description:     "A browser playground and visualizer for Linux eBPF maps and the BPF interpreter.",
		Author:          "bpfplay",
		Lang:            "en",
		BackgroundColor: "#123a4f",
		ThemeColor:      "#123a4f",
		// No {progress}: the early loader (loader.go) compiles app.wasm as
		// it downloads, without counting bytes in JavaScript.
		LoadingLabel: "Loading bpfplay… · 正在加载…",
		Icon: app.Icon{
			Default:    "/web/icon-192.png",
			Large:      "/web/icon-512.png",
			SVG:        "/web/icon.svg",
			AppleTouch: "/web/icon-192.png",
		},
		Styles:                []string{"/web/bpfplay.css"},
		Version:               version,
		ServiceWorkerTemplate: workerJS,
		CacheableResources:    cacheable,
	}
	if p := CleanPrefix(prefix); p != "" {
		h.Resources = app.GitHubPages(strings.TrimPrefix(p, "/"))
	}
	return h
}

// workerJS is the service worker: go-app's cache-first worker, except that
// it matches cached files ignoring the query string (the app keeps its state
// in ?lesson=...&step=...) and answers any navigation inside the scope with
// the cached page, so the app opens offline at any URL once loaded.
const workerJS = `const cacheName = "bpfplay-{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};
const scopePath = new URL(self.registration.scope).pathname;
const rootPath = scopePath.replace(/\/$/, "");

self.addEventListener("install", (event) => {
  const list = resourcesToCache.map((r) => (r === rootPath || r === "/" ? scopePath : r));
  event.waitUntil(
    caches.open(cacheName).then((cache) => cache.addAll(list)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.map((k) => (k !== cacheName ? caches.delete(k) : null))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) {
    return;
  }
  event.respondWith(
    caches.match(req, { ignoreSearch: true })
      .then((r) => r || (req.mode === "navigate" ? caches.match(scopePath) : undefined))
      .then((r) => r || fetch(req))
  );
});
`

// Write generates the site into dir: go-app's index.html (prerendered),
// app.js, app-worker.js, manifest.webmanifest and app.css, then our assets
// into dir/web, and Go's own wasm_exec.js. dir/web/app.wasm must exist.
func Write(dir, prefix, wasmExec string) error {
	wasm := filepath.Join(dir, "web", "app.wasm")
	wasmBytes, err := os.ReadFile(wasm)
	if err != nil {
		return fmt.Errorf("%s is missing: build it first (make wasm): %w", wasm, err)
	}
	if wasmExec == "" {
		if wasmExec, err = defaultWasmExec(); err != nil {
			return err
		}
	}
	execJS, err := os.ReadFile(wasmExec)
	if err != nil {
		return fmt.Errorf("reading wasm_exec.js: %w", err)
	}
	// The version is a digest of what the site ships, so a new build
	// replaces the cached app and an unchanged one does not.
	sum := sha256.New()
	sum.Write(wasmBytes)
	sum.Write(execJS)
	sum.Write([]byte(CleanPrefix(prefix)))
	fs.WalkDir(static.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := static.Files.ReadFile(p)
			sum.Write([]byte(p))
			sum.Write(b)
		}
		return nil
	})
	lessonFiles, err := lessonFiles()
	if err != nil {
		return err
	}
	var cacheable []string
	for _, f := range lessonFiles {
		sum.Write([]byte(f.path))
		sum.Write(f.data)
		cacheable = append(cacheable, "/web/"+f.path)
	}
	version := hex.EncodeToString(sum.Sum(nil))[:16]

	if err := app.GenerateStaticWebsite(dir, Handler(prefix, version, cacheable)); err != nil {
		return fmt.Errorf("generating the site: %w", err)
	}
	if err := fixIndex(filepath.Join(dir, "index.html")); err != nil {
		return err
	}
	// At the top of <head>: the lesson prefetch, and before it the early
	// loader (each goes right after <meta charset>).
	if err := insertAtHeadStart(filepath.Join(dir, "index.html"), prefetchScript(CleanPrefix(prefix))); err != nil {
		return err
	}
	if err := UseEarlyLoader(dir, prefix); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), execJS, 0o644); err != nil {
		return err
	}
	err = fs.WalkDir(static.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := static.Files.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "web", filepath.FromSlash(p)), b, 0o644)
	})
	if err != nil {
		return fmt.Errorf("copying static assets: %w", err)
	}
	// Lessons from an earlier build must not linger next to this one's.
	if err := os.RemoveAll(filepath.Join(dir, "web", "lessons")); err != nil {
		return err
	}
	for _, f := range lessonFiles {
		p := filepath.Join(dir, "web", filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return err
		}
	}
	if bad := OffOriginURLs(dir); len(bad) > 0 {
		return fmt.Errorf("the site would make off-origin requests: %s", strings.Join(bad, ", "))
	}
	return nil
}

// prefetchScript starts fetching the lesson the URL names (?lesson=ID) as
// soon as the page starts loading, while app.wasm is still downloading, and leaves
// the text in window.bpLesson (web/lessons_fetched.go takes it from there):
// opening a lesson then costs no extra round trip after the app starts.
// Only ids that can name a lesson are fetched, from this site only.
func prefetchScript(prefix string) string {
	// A JSON string is a JS string literal, and json.Marshal escapes < and >,
	// so no prefix can end the script early.
	base, _ := json.Marshal(prefix + "/web/lessons/")
	return `<script>(function () {
  var m = /[?&]lesson=([a-z0-9-]{1,64})(?:&|$)/.exec(location.search);
  if (!m) return;
  var p = {id: m[1], done: false, text: null};
  p.promise = fetch(` + string(base) + ` + m[1] + ".txt")
    .then(function (r) { return r.ok ? r.text() : null; })
    .catch(function () { return null; })
    .then(function (t) { p.text = t; p.done = true; return t; });
  window.bpLesson = p;
})();</script>`
}

// siteFile is a file the site writer generates, path relative to dir/web.
type siteFile struct {
	path string
	data []byte
}

// lessonFiles are the lessons as the browser app fetches them (app.wasm
// does not embed them): lessons/ID.txt, one lessons.Bundle file per lesson,
// and lessons/index.json, the home page's list.
func lessonFiles() ([]siteFile, error) {
	bundles, err := lessons.Bundles()
	if err != nil {
		return nil, fmt.Errorf("lessons: %w", err)
	}
	var out []siteFile
	for _, b := range bundles {
		data, err := b.MarshalText()
		if err != nil {
			return nil, err
		}
		out = append(out, siteFile{"lessons/" + lessons.IDOf(b.Dir) + ".txt", data})
	}
	listings, err := lessons.Listings()
	if err != nil {
		return nil, fmt.Errorf("lessons: %w", err)
	}
	data, err := json.Marshal(listings)
	if err != nil {
		return nil, err
	}
	return append(out, siteFile{"lessons/index.json", data}), nil
}

// fixIndex edits go-app's generated page: it lets people zoom (go-app sets
// user-scalable=0, an accessibility failure) and drops og:url, which names
// the throw-away server the page was rendered on.
func fixIndex(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b = regexp.MustCompile(`<meta name="viewport" content="[^"]*">`).
		ReplaceAll(b, []byte(`<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">`))
	b = regexp.MustCompile(`<meta property="og:url" content="[^"]*">\n?`).ReplaceAll(b, nil)
	return os.WriteFile(path, b, 0o644)
}

func defaultWasmExec() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("finding GOROOT for wasm_exec.js (pass -wasm-exec): %w", err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("wasm_exec.js not found at %s (pass -wasm-exec)", p)
	}
	return p, nil
}

// resourceAttr finds URLs the browser fetches by itself: src/href attributes
// and the manifest's icon entries.
var resourceAttr = regexp.MustCompile(`(?:src|href|"src")\s*[=:]\s*"((?:https?:)?//[^"]*)"`)

// OffOriginURLs lists absolute URLs in the generated files that a browser
// would fetch: icons, styles, scripts, manifest entries, the worker's list.
func OffOriginURLs(dir string) []string {
	var bad []string
	for _, f := range []string{"index.html", "manifest.webmanifest", "app-worker.js", "app.js"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		for _, m := range resourceAttr.FindAllSubmatch(b, -1) {
			bad = append(bad, f+": "+string(m[1]))
		}
		if f == "app-worker.js" && bytes.Contains(b, []byte("http")) {
			bad = append(bad, f+": mentions http")
		}
	}
	sort.Strings(bad)
	return bad
}

// Serve serves dir under prefix on addr and prints the URL to w. It only
// serves files: the site behaves as it would on any static host.
func Serve(addr, dir, prefix string, w io.Writer) error {
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return fmt.Errorf("%s has no index.html: write the site first (make site): %w", dir, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	p := CleanPrefix(prefix)
	fmt.Fprintf(w, "bpfplay: serving %s on http://%s%s/ (Ctrl+C to stop)\n", dir, ln.Addr(), p)
	return http.Serve(ln, Files(dir, p))
}

// Files is the static file handler for a site directory under prefix, with
// the MIME types a static host gives (.wasm as application/wasm).
func Files(dir, prefix string) http.Handler {
	mime.AddExtensionType(".wasm", "application/wasm")
	mime.AddExtensionType(".webmanifest", "application/manifest+json")
	fsrv := http.FileServer(http.Dir(dir))
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		fsrv.ServeHTTP(w, r)
	})
	p := CleanPrefix(prefix)
	if p != "" {
		inner := http.StripPrefix(p, h)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == p {
				http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
				return
			}
			if !strings.HasPrefix(r.URL.Path, p+"/") {
				http.NotFound(w, r)
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	return h
}
