package site

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// The loader: how the page gets app.wasm running. go-app's app.js asks for
// app.wasm only after the page is parsed and its stylesheets are in (it is a
// deferred script), pipes the download through a JavaScript stream to count
// progress, and registers the service worker first, whose install downloads
// app.wasm a second time while the first copy is still being compiled. On
// the 2-vCPU machines we measure on, that costs about 0.2 s of cold start
// (BENCHMARKS.md). UseEarlyLoader changes four things in the generated
// page, and nothing else:
//
//   - the first thing in <head> is a script that hands fetch(app.wasm)
//     straight to WebAssembly.compileStreaming, so the module compiles
//     while it downloads and while the page parses;
//   - app.js instantiates that module instead of fetching its own copy;
//   - app.js starts Go once the lesson the page prefetched (site.go,
//     prefetchScript) is in, so the app opens it at once instead of drawing
//     a loading frame and waiting for it (the lesson file is small and was
//     asked for first; the wait is capped at 3 s);
//   - app.js registers the service worker when the page is first idle after
//     the app has started, so the worker's copy of the site does not compete
//     with the first frame. Offline use is unchanged once the page is idle.
//
// The loading indicator stays (go-app's spinning icon and label); it no
// longer counts percent, because counting means reading the download in
// JavaScript. Pages where go-app would not load wasm (?wasm=false, crawlers)
// load no wasm here either.

// earlyLoaderScript starts compiling app.wasm. When streaming compilation
// is refused (an old browser, or a host that serves .wasm with the wrong
// MIME type) it compiles the downloaded bytes instead; a failure is left in
// the promise for app.js to show.
func earlyLoaderScript(prefix string) string {
	// A JSON string is a JS string literal, and json.Marshal escapes < and
	// >, so no prefix can end the script early.
	url, _ := json.Marshal(prefix + "/web/app.wasm")
	return `<script>(function () {
  if (!window.WebAssembly || /bot|googlebot|crawler|spider|robot|crawling/i.test(navigator.userAgent) ||
      new URLSearchParams(location.search).get("wasm") === "false") return;
  var url = ` + string(url) + `;
  var bytes = function () {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.arrayBuffer();
    }).then(function (b) { return WebAssembly.compile(b); });
  };
  var m = WebAssembly.compileStreaming ? WebAssembly.compileStreaming(fetch(url)).catch(bytes) : bytes();
  m.catch(function () {});
  window.bpWasmModule = m;
})();</script>`
}

// appJSEdits are the edits to go-app v9.8.0's app.js, each an exact text
// and its replacement. UseEarlyLoader fails when a text is missing, so a
// go-app upgrade that changes the loader stops the site build instead of
// silently shipping the old behaviour.
var appJSEdits = []struct{ old, new string }{
	{
		old: "goappInitServiceWorker();\n",
		new: "// bpfplay: the service worker is registered once the app has started (web/site/loader.go).\n",
	},
	{
		old: `    const wasm = await instantiateStreaming(
      fetchWithProgress("{{WASM}}", showProgress),
      go.importObject
    );
`,
		new: `    const wasm = window.bpWasmModule
      ? { instance: await WebAssembly.instantiate(await window.bpWasmModule, go.importObject) }
      : await instantiateStreaming(fetchWithProgress("{{WASM}}", showProgress), go.importObject);
`,
	},
	{
		old: `    go.run(wasm.instance);
    loader.remove();
  } catch (err) {
    loaderIcon.className = "goapp-logo";
    loaderLabel.innerText = err;
    console.error("loading wasm failed: ", err);
  }
`,
		new: `    if (window.bpLesson) {
      // bpfplay: the lesson the page prefetched is in before Go starts (at most 3 s).
      await Promise.race([window.bpLesson.promise, new Promise((r) => setTimeout(r, 3000))]);
    }
    go.run(wasm.instance);
    loader.remove();
  } catch (err) {
    loaderIcon.className = "goapp-logo";
    loaderLabel.innerText = err;
    console.error("loading wasm failed: ", err);
  }
  goappRegisterWhenIdle();
`,
	},
	{
		old: `  if (!goappCanLoadWebAssembly()) {
    loader.remove();
    return;
  }
`,
		new: `  if (!goappCanLoadWebAssembly()) {
    loader.remove();
    goappRegisterWhenIdle();
    return;
  }
`,
	},
	{
		old: "function goappCanLoadWebAssembly() {\n",
		new: `// goappRegisterWhenIdle registers the service worker once the page is idle
// (bpfplay: web/site/loader.go).
function goappRegisterWhenIdle() {
  if (window.requestIdleCallback) {
    window.requestIdleCallback(() => goappInitServiceWorker(), { timeout: 5000 });
  } else {
    window.setTimeout(() => goappInitServiceWorker(), 1000);
  }
}

function goappCanLoadWebAssembly() {
`,
	},
}

// UseEarlyLoader edits a site that go-app generated in dir (served under
// prefix) to use the early loader described above.
func UseEarlyLoader(dir, prefix string) error {
	prefix = CleanPrefix(prefix)
	jsPath := filepath.Join(dir, "app.js")
	js, err := os.ReadFile(jsPath)
	if err != nil {
		return err
	}
	wasmURL := []byte(prefix + "/web/app.wasm")
	for _, e := range appJSEdits {
		old := bytes.ReplaceAll([]byte(e.old), []byte("{{WASM}}"), wasmURL)
		if bytes.Count(js, old) != 1 {
			return fmt.Errorf("%s: go-app's loader is not the one web/site/loader.go edits (looked for %q)", jsPath, firstLine(e.old))
		}
		js = bytes.Replace(js, old, bytes.ReplaceAll([]byte(e.new), []byte("{{WASM}}"), wasmURL), 1)
	}
	if err := os.WriteFile(jsPath, js, 0o644); err != nil {
		return err
	}
	return insertAtHeadStart(filepath.Join(dir, "index.html"), earlyLoaderScript(prefix))
}

// insertAtHeadStart puts html right after the page's <meta charset>, before
// any stylesheet: a script placed after a stylesheet waits for it.
func insertAtHeadStart(path, html string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const charset = `<meta charset="UTF-8">`
	if bytes.Count(b, []byte(charset)) != 1 {
		return fmt.Errorf("%s: no single %s to put the loader after", path, charset)
	}
	b = bytes.Replace(b, []byte(charset), []byte(charset+"\n"+html), 1)
	return os.WriteFile(path, b, 0o644)
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
