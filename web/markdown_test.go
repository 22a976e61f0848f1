package web

import (
	"html"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func render(src string) string {
	return app.HTMLString(app.Div().Body(Markdown(src)...))
}

// TestMarkdownNoRawHTML: tags and script in lesson or shared text come out
// as text, and only http(s)/# links survive.
func TestMarkdownNoRawHTML(t *testing.T) {
	out := render("Hello <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [y](https://kernel.org) [z](data:text/html,hi)")
	for _, bad := range []string{"<script", "<img", "javascript:", "data:text"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q: %s", bad, out)
		}
	}
	if !strings.Contains(out, `href="https://kernel.org"`) {
		t.Errorf("safe link dropped: %s", out)
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("tag text not escaped: %s", out)
	}
}

func TestMarkdownSubset(t *testing.T) {
	out := render("# Title\n\nSome **bold** and *em* and `code` and snake_case_name.\n\n- one\n- two\n\n1. a\n2. b\n\n```\nmap m type=hash\n```\n")
	for _, want := range []string{"<h3>Title</h3>", "<strong>bold</strong>", "<em>em</em>", "<code>code</code>",
		"snake_case_name", "<li>one</li>", "<ol>", "<pre><code>map m type=hash</code></pre>"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in %s", want, out)
		}
	}
}

// TestEscapeHTML: escapeHTML agrees with the standard library's
// html.EscapeString (which the app no longer links).
func TestEscapeHTML(t *testing.T) {
	for _, s := range []string{"", "plain", `<script>alert("x")</script>`, "a & b's", `"'<>&&`, "中文 <b>", "\x00&"} {
		if got, want := escapeHTML(s), html.EscapeString(s); got != want {
			t.Errorf("escapeHTML(%q) = %q, html.EscapeString gives %q", s, got, want)
		}
	}
}

// TestMarkdownRawBlocks: each block is one app.Raw node with a single root
// element, and links keep their attributes.
func TestMarkdownRawBlocks(t *testing.T) {
	blocks := Markdown("p [a](https://x.org/?q=\"1\") [b](#s)\n\n- i\n\n```c\nx\n```\n\n> q\n\n## h")
	if len(blocks) != 5 {
		t.Fatalf("got %d blocks", len(blocks))
	}
	for i, b := range blocks {
		if b.Kind() != app.RawHTML {
			t.Errorf("block %d is %v, not raw HTML", i, b.Kind())
		}
	}
	got := app.HTMLString(blocks[0])
	want := `<p>p <a href="https://x.org/?q=&#34;1&#34;" target="_blank" rel="noopener noreferrer">a</a> <a href="#s">b</a></p>`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if got := app.HTMLString(blocks[2]); got != `<pre><code data-lang="c">x</code></pre>` {
		t.Errorf("code block: %s", got)
	}
}
