// Package static holds the playground's own assets (CSS, icons). They are
// embedded so that the native entry (wasm/main_native.go) can copy them into
// a static site from any working directory. The browser build never imports
// this package.
package static

import "embed"

// Files are the assets served under /web/ (with the site's prefix).
//
//go:embed *.css *.svg *.png
var Files embed.FS
