// Package browsertest holds the real-browser tests of the bpfplay site:
// chromedp drives Debian's /usr/bin/chromium against the static site
// (build/site, or $BPFPLAY_SITE) served on loopback by an httptest server.
//
// They skip when chromium is missing and fail instead when
// BPFPLAY_REQUIRE_BROWSER=1 (make test). Each browser gets a fresh profile,
// because go-app's service worker caches the app. Screenshots of every
// lesson go to build/screenshots/.
//
// BPFPLAY_BENCH=1 also runs the size and cold-start comparison with the
// minimal go-app app (internal/minimalapp); see bench_test.go.
package browsertest
