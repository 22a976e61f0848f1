package web

import (
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Markdown renders the small markdown subset lesson text uses: headings,
// paragraphs, bullet and numbered lists, fenced code, `code`, **strong**,
// *emphasis* and [links](https://...). Each top-level block is one app.Raw
// node built with htmlDoc, which escapes every piece of text and every
// attribute value, so neither lesson text nor a shared link can inject
// markup or script. (One Raw per block instead of a go-app element tree is
// much less code in app.wasm: every go-app builder call is an interface
// call.) Links are kept only for http, https and same-page (#) targets.
func Markdown(src string) []app.UI {
	var out []app.UI
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var para []string
	flushPara := func() {
		if len(para) > 0 {
			out = append(out, mdBlock("p", strings.Join(para, " ")))
			para = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trim := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trim, "```"):
			flushPara()
			lang := strings.TrimSpace(strings.TrimPrefix(trim, "```"))
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				code = append(code, lines[i])
			}
			// <code> right after <pre>: the HTML parser drops a newline
			// only directly after <pre>, so code text keeps a leading one.
			var d htmlDoc
			d.open("pre")
			if lang != "" {
				d.elem("code", strings.Join(code, "\n"), "data-lang", lang)
			} else {
				d.elem("code", strings.Join(code, "\n"))
			}
			d.close("pre")
			out = append(out, d.UI())
		case trim == "":
			flushPara()
		case strings.HasPrefix(trim, "#"):
			flushPara()
			n := len(trim) - len(strings.TrimLeft(trim, "#"))
			text := strings.TrimSpace(trim[n:])
			// Lesson headings sit below the page's h1/h2.
			switch {
			case n <= 1:
				out = append(out, mdBlock("h3", text))
			case n == 2:
				out = append(out, mdBlock("h4", text))
			default:
				out = append(out, mdBlock("h5", text))
			}
		case isBullet(trim) || isNumbered(trim):
			flushPara()
			numbered := isNumbered(trim)
			var items []string
			for ; i < len(lines); i++ {
				t := strings.TrimSpace(lines[i])
				if numbered && isNumbered(t) {
					items = append(items, stripNumber(t))
				} else if !numbered && isBullet(t) {
					items = append(items, t[2:])
				} else if t != "" && len(items) > 0 && strings.HasPrefix(lines[i], "  ") {
					// continuation line of the last item
					items[len(items)-1] = lastText(lines, i)
				} else {
					i--
					break
				}
			}
			tag := "ul"
			if numbered {
				tag = "ol"
			}
			var d htmlDoc
			d.open(tag)
			for _, it := range items {
				d.open("li")
				inline(&d, it)
				d.close("li")
			}
			d.close(tag)
			out = append(out, d.UI())
		case strings.HasPrefix(trim, "> "):
			flushPara()
			var d htmlDoc
			d.open("blockquote").open("p")
			inline(&d, trim[2:])
			d.close("p").close("blockquote")
			out = append(out, d.UI())
		default:
			para = append(para, trim)
		}
	}
	flushPara()
	return out
}

// mdBlock renders <tag>inline text</tag> as one node.
func mdBlock(tag, text string) app.UI {
	var d htmlDoc
	d.open(tag)
	inline(&d, text)
	d.close(tag)
	return d.UI()
}

// lastText joins a list item with its indented continuation lines ending at i.
func lastText(lines []string, i int) string {
	j := i
	for j > 0 && !isBullet(strings.TrimSpace(lines[j])) && !isNumbered(strings.TrimSpace(lines[j])) {
		j--
	}
	first := strings.TrimSpace(lines[j])
	if isNumbered(first) {
		first = stripNumber(first)
	} else {
		first = first[2:]
	}
	parts := []string{first}
	for k := j + 1; k <= i; k++ {
		parts = append(parts, strings.TrimSpace(lines[k]))
	}
	return strings.Join(parts, " ")
}

func isBullet(t string) bool { return strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") }

func isNumbered(t string) bool {
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(t) && t[i] == '.' && t[i+1] == ' '
}

func stripNumber(t string) string {
	i := strings.Index(t, ". ")
	return t[i+2:]
}

// inline writes code spans, strong, emphasis and links into d; all other
// text is written escaped, as text.
func inline(d *htmlDoc, s string) {
	start := 0 // start of the pending plain-text run s[start:i]
	for i := nextMarkup(s, 0); i < len(s); i = nextMarkup(s, i) {
		switch {
		case s[i] == '`':
			if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
				d.text(s[start:i])
				d.elem("code", s[i+1:i+1+j])
				i += j + 2
				start = i
				continue
			}
		case strings.HasPrefix(s[i:], "**"):
			if j := strings.Index(s[i+2:], "**"); j > 0 {
				d.text(s[start:i])
				d.open("strong")
				inline(d, s[i+2:i+2+j])
				d.close("strong")
				i += j + 4
				start = i
				continue
			}
		case s[i] == '*' || s[i] == '_':
			c := s[i]
			// _ inside words (snake_case names) is not emphasis.
			if c == '_' && i > 0 && isWordByte(s[i-1]) {
				break
			}
			if j := strings.IndexByte(s[i+1:], c); j > 0 && s[i+1] != ' ' {
				end := i + 1 + j
				if c == '_' && end+1 < len(s) && isWordByte(s[end+1]) {
					break
				}
				d.text(s[start:i])
				d.open("em")
				inline(d, s[i+1:end])
				d.close("em")
				i = end + 1
				start = i
				continue
			}
		case s[i] == '[':
			if j := strings.Index(s[i:], "]("); j > 0 {
				if k := strings.IndexByte(s[i+j+2:], ')'); k >= 0 {
					label := s[i+1 : i+j]
					href := strings.TrimSpace(s[i+j+2 : i+j+2+k])
					d.text(s[start:i])
					// The label ends at the first "](", so it holds no
					// link: no <a> inside <a>.
					if !safeHref(href) {
						inline(d, label)
					} else if strings.HasPrefix(href, "#") {
						d.open("a", "href", href)
						inline(d, label)
						d.close("a")
					} else {
						d.open("a", "href", href, "target", "_blank", "rel", "noopener noreferrer")
						inline(d, label)
						d.close("a")
					}
					i += j + 2 + k + 1
					start = i
					continue
				}
			}
		}
		i++
	}
	d.text(s[start:])
}

// nextMarkup is the index of the first byte at or after i that can start
// markup (` * _ [), or len(s). Plain runs are skipped here, in a loop small
// enough that the browser's compiler does not have to optimize inline.
func nextMarkup(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '`', '*', '_', '[':
			return i
		}
	}
	return i
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// safeHref accepts http(s) links and same-page anchors only: no
// javascript:, data: or other schemes.
func safeHref(h string) bool {
	l := strings.ToLower(h)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "#")
}
