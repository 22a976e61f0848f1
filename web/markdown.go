package web

import (
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Markdown renders the small markdown subset lesson text uses: headings,
// paragraphs, bullet and numbered lists, fenced code, `code`, **strong**,
// *emphasis* and [links](https://...). It builds go-app elements whose text
// is always set as text, never parsed as HTML, so neither lesson text nor a
// shared link can inject markup or script. Links are kept only for http,
// https and same-page (#) targets.
func Markdown(src string) []app.UI {
	var out []app.UI
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var para []string
	flushPara := func() {
		if len(para) > 0 {
			out = append(out, el("p").Body(inline(strings.Join(para, " "))...))
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
			c := el("code").Text(strings.Join(code, "\n"))
			if lang != "" {
				c = c.DataSet("lang", lang)
			}
			out = append(out, el("pre").Body(c))
		case trim == "":
			flushPara()
		case strings.HasPrefix(trim, "#"):
			flushPara()
			n := len(trim) - len(strings.TrimLeft(trim, "#"))
			text := strings.TrimSpace(trim[n:])
			// Lesson headings sit below the page's h1/h2.
			switch {
			case n <= 1:
				out = append(out, el("h3").Body(inline(text)...))
			case n == 2:
				out = append(out, el("h4").Body(inline(text)...))
			default:
				out = append(out, el("h5").Body(inline(text)...))
			}
		case isBullet(trim) || isNumbered(trim):
			flushPara()
			numbered := isNumbered(trim)
			var items []app.UI
			for ; i < len(lines); i++ {
				t := strings.TrimSpace(lines[i])
				if numbered && isNumbered(t) {
					items = append(items, el("li").Body(inline(stripNumber(t))...))
				} else if !numbered && isBullet(t) {
					items = append(items, el("li").Body(inline(t[2:])...))
				} else if t != "" && len(items) > 0 && strings.HasPrefix(lines[i], "  ") {
					// continuation line of the last item
					items[len(items)-1] = el("li").Body(inline(lastText(lines, i))...)
				} else {
					i--
					break
				}
			}
			if numbered {
				out = append(out, el("ol").Body(items...))
			} else {
				out = append(out, el("ul").Body(items...))
			}
		case strings.HasPrefix(trim, "> "):
			flushPara()
			out = append(out, el("blockquote").Body(el("p").Body(inline(trim[2:])...)))
		default:
			para = append(para, trim)
		}
	}
	flushPara()
	return out
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

// inline renders code spans, strong, emphasis and links as text nodes.
func inline(s string) []app.UI {
	var out []app.UI
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			out = append(out, app.Text(text.String()))
			text.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch {
		case s[i] == '`':
			if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
				flush()
				out = append(out, el("code").Text(s[i+1:i+1+j]))
				i += j + 2
				continue
			}
		case strings.HasPrefix(s[i:], "**"):
			if j := strings.Index(s[i+2:], "**"); j > 0 {
				flush()
				out = append(out, el("strong").Body(inline(s[i+2:i+2+j])...))
				i += j + 4
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
				flush()
				out = append(out, el("em").Body(inline(s[i+1:end])...))
				i = end + 1
				continue
			}
		case s[i] == '[':
			if j := strings.Index(s[i:], "]("); j > 0 {
				if k := strings.IndexByte(s[i+j+2:], ')'); k >= 0 {
					label := s[i+1 : i+j]
					href := strings.TrimSpace(s[i+j+2 : i+j+2+k])
					flush()
					if safeHref(href) {
						a := el("a").Attr("href", href).Body(inline(label)...)
						if !strings.HasPrefix(href, "#") {
							a = a.Attr("target", "_blank").Attr("rel", "noopener noreferrer")
						}
						out = append(out, a)
					} else {
						out = append(out, inline(label)...)
					}
					i += j + 2 + k + 1
					continue
				}
			}
		}
		text.WriteByte(s[i])
		i++
	}
	flush()
	return out
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
