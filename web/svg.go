package web

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// svgDoc builds one SVG drawing as text. Every piece of text goes through
// html.EscapeString, so keys and names from a scenario cannot add markup.
// The drawing goes into an htmlDoc fragment (writeTo), mounted with app.Raw:
// one DOM replacement per step, which stays fast for big maps, and the
// parser gives it the SVG namespace.
type svgDoc struct {
	b    strings.Builder
	w, h int
}

func newSVG(w, h int, label string) *svgDoc {
	d := &svgDoc{w: w, h: h}
	d.b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="bp-svg" role="img" viewBox="0 0 `)
	d.b.WriteString(strconv.Itoa(w) + " " + strconv.Itoa(h) + `" width="` + strconv.Itoa(w) + `" height="` + strconv.Itoa(h) + `" aria-label="`)
	d.b.WriteString(escapeHTML(label))
	d.b.WriteString(`" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">`)
	return d
}

// attrs writes name="value" pairs (values escaped).
func (d *svgDoc) attrs(kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		d.b.WriteString(" " + kv[i] + `="` + escapeHTML(kv[i+1]) + `"`)
	}
}

func (d *svgDoc) open(tag string, kv ...string) {
	d.b.WriteString("<" + tag)
	d.attrs(kv...)
	d.b.WriteString(">")
}

func (d *svgDoc) close(tag string) { d.b.WriteString("</" + tag + ">") }

func (d *svgDoc) rect(x, y, w, h int, fill, stroke string, kv ...string) {
	d.b.WriteString(`<rect x="` + strconv.Itoa(x) + `" y="` + strconv.Itoa(y) + `" width="` + strconv.Itoa(w) + `" height="` + strconv.Itoa(h) + `" fill="` + fill + `" stroke="` + stroke + `"`)
	d.attrs(kv...)
	d.b.WriteString("/>")
}

func (d *svgDoc) text(x, y int, s string, kv ...string) {
	d.b.WriteString(`<text x="` + strconv.Itoa(x) + `" y="` + strconv.Itoa(y) + `"`)
	d.attrs(kv...)
	d.b.WriteString(">" + escapeHTML(s) + "</text>")
}

func (d *svgDoc) line(x1, y1, x2, y2 int, stroke string, kv ...string) {
	d.b.WriteString(`<line x1="` + strconv.Itoa(x1) + `" y1="` + strconv.Itoa(y1) + `" x2="` + strconv.Itoa(x2) + `" y2="` + strconv.Itoa(y2) + `" stroke="` + stroke + `"`)
	d.attrs(kv...)
	d.b.WriteString("/>")
}

func (d *svgDoc) title(s string) { d.b.WriteString("<title>" + escapeHTML(s) + "</title>") }

func (d *svgDoc) String() string { return d.b.String() + "</svg>" }

// writeTo writes the drawing into an HTML fragment inside its scrollable
// wrapper (id may be "").
func (d *svgDoc) writeTo(out *htmlDoc, id string) {
	if id != "" {
		out.open("div", "class", "bp-svg-wrap", "id", id)
	} else {
		out.open("div", "class", "bp-svg-wrap")
	}
	out.b.WriteString("<div>" + d.String() + "</div>") // already escaped
	out.close("div")
}

// Colours (always paired with a text marker: colour is never the only signal).
const (
	colBox     = "#ffffff"
	colLine    = "#8a969e"
	colCur     = "#fff1c2"
	colNew     = "#d8f3dc"
	colGone    = "#fde2e2"
	colMatch   = "#cfe8ff"
	colText    = "#1d2327"
	colMuted   = "#5b6770"
	colAccent  = "#123a4f"
	colWarn    = "#a4161a"
	colInactiv = "#eef2f4"
)

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// htmlDoc builds a static HTML fragment as text, like svgDoc: a view with no
// event handlers is one app.Raw node instead of a go-app element tree. That
// is much less code in app.wasm (every go-app builder call is an interface
// call) and far fewer DOM calls on mount. All text and attribute values go
// through escapeHTML.
type htmlDoc struct{ b strings.Builder }

// open writes <tag k="v" ...>.
func (d *htmlDoc) open(tag string, kv ...string) *htmlDoc {
	d.b.WriteByte('<')
	d.b.WriteString(tag)
	for i := 0; i+1 < len(kv); i += 2 {
		d.b.WriteByte(' ')
		d.b.WriteString(kv[i])
		d.b.WriteString(`="`)
		writeEscaped(&d.b, kv[i+1])
		d.b.WriteByte('"')
	}
	d.b.WriteByte('>')
	return d
}

// text writes escaped text.
func (d *htmlDoc) text(s string) *htmlDoc { writeEscaped(&d.b, s); return d }

// close writes </tag>.
func (d *htmlDoc) close(tag string) *htmlDoc {
	d.b.WriteString("</")
	d.b.WriteString(tag)
	d.b.WriteByte('>')
	return d
}

// elem writes <tag ...>text</tag>.
func (d *htmlDoc) elem(tag, text string, kv ...string) *htmlDoc {
	return d.open(tag, kv...).text(text).close(tag)
}

// UI is the fragment as one node (its first element is the root).
func (d *htmlDoc) UI() app.UI { return app.Raw(d.b.String()) }
