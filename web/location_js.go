//go:build js && wasm

package web

import (
	"net/url"
	"strings"
	"syscall/js"
)

// RepairLocation makes the page URL parseable before go-app reads it. A
// hand-edited or cut link can hold a '%' that starts no escape ("#s=%%%"):
// Go's url.Parse refuses it and go-app would stop the program before the
// app could say what is wrong. Such a '%' becomes "%25", so the app opens
// and reports the damaged part like any other bad link.
func RepairLocation() {
	loc := js.Global().Get("location")
	href := loc.Get("href").String()
	if _, err := url.Parse(href); err == nil {
		return
	}
	fixed := escapeStrayPercents(href)
	if _, err := url.Parse(fixed); err != nil {
		return // something else is wrong; leave it to go-app
	}
	js.Global().Get("history").Call("replaceState", nil, "", fixed)
}

// escapeStrayPercents turns every '%' not followed by two hex digits into
// "%25".
func escapeStrayPercents(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && !(i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])) {
			b.WriteString("%25")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
