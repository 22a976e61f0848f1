package web

import (
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// el builds any element through go-app's generic Elem. go-app v9 gives
// every tag its own type with a large method set, and each type used links
// all of its methods into app.wasm; one generic type for every tag (with
// attributes set through Attr) keeps the wasm much smaller.
func el(tag string) app.HTMLElem { return app.Elem(tag) }

// elc builds a self-closing element (input).
func elc(tag string) app.HTMLElemSelfClosing { return app.ElemSelfClosing(tag) }

// escapeHTML escapes text for HTML content and attribute values, as
// html.EscapeString does (& ' < > "). Our own because html's escaper is a
// strings.Replacer, whose general machinery costs app.wasm about 20 KiB.
func escapeHTML(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	writeEscaped(&b, s)
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&', '\'', '<', '>', '"':
			return true
		}
	}
	return false
}

// writeEscaped writes s to b as escapeHTML would return it.
func writeEscaped(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(esc)
		start = i + 1
	}
	b.WriteString(s[start:])
}
