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
	if !strings.ContainsAny(s, `&'<>"`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '\'':
			b.WriteString("&#39;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
