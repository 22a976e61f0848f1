package web

import (
	"net/url"
	"strconv"
	"strings"
)

// Page names carried in the URL's "page" parameter.
const (
	PageHome   = ""
	PageLesson = "lesson"
	PagePlay   = "play"
)

// Loc is everything the URL says about what to show: the page, the lesson
// or the shared scenario, the step, the language and the embed mode. A
// reload or a shared link opens exactly the state a Loc describes.
//
// Query: ?lesson=ID | ?page=play, &step=N (1-based), &insn=N, &lang=en|zh-CN,
// &embed=1. Fragment: #s=<EncodeSource(scenario)> for a shared scenario.
type Loc struct {
	Page   string
	Lesson string
	Step   int // 1-based; 0 means the first step
	Insn   int // 1-based instruction inside a run step; 0 means none
	Lang   string
	Embed  bool
	Shared string // the encoded scenario from the fragment ("" if none)
	// Problems are what could not be understood, shown to the user (the
	// rest of the URL still applies).
	Problems []string
}

// ParseLoc reads a Loc from a URL. It never fails: each part that does not
// parse is reported in Problems and ignored.
func ParseLoc(u *url.URL) Loc {
	var l Loc
	if u == nil {
		l.Lang = "en"
		return l
	}
	q := u.Query()
	l.Lang = "en"
	if v := q.Get("lang"); v != "" {
		if n, ok := normLang(v); ok {
			l.Lang = n
		} else {
			l.Problems = append(l.Problems, "lang="+v)
		}
	}
	l.Lesson = q.Get("lesson")
	switch p := q.Get("page"); p {
	case "", PageLesson, PagePlay:
		l.Page = p
	default:
		l.Problems = append(l.Problems, "page="+p)
	}
	if l.Lesson != "" && l.Page == "" {
		l.Page = PageLesson
	}
	l.Step = posInt(q.Get("step"), "step", &l.Problems)
	l.Insn = posInt(q.Get("insn"), "insn", &l.Problems)
	l.Embed = q.Get("embed") == "1" || q.Get("embed") == "true"
	frag := u.Fragment
	if frag == "" && u.RawFragment != "" {
		frag = u.RawFragment
	}
	if strings.HasPrefix(frag, "s=") {
		l.Shared = frag[2:]
		if l.Page == "" {
			l.Page = PagePlay
		}
	} else if frag != "" {
		l.Problems = append(l.Problems, "#"+truncate(frag, 24))
	}
	return l
}

func posInt(v, name string, problems *[]string) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1<<30 {
		*problems = append(*problems, name+"="+truncate(v, 24))
		return 0
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// normLang maps the spellings people type to "en" or "zh-CN".
func normLang(s string) (string, bool) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "en", "en-us", "en-gb":
		return "en", true
	case "zh", "zh-cn", "zh-hans", "zh-hans-cn":
		return "zh-CN", true
	}
	return "", false
}

// URL formats the Loc as a path+query+fragment under the site prefix.
func (l Loc) URL(prefix string) string {
	q := url.Values{}
	if l.Lesson != "" {
		q.Set("lesson", l.Lesson)
	}
	if l.Page == PagePlay {
		q.Set("page", PagePlay)
	}
	if l.Step > 0 {
		q.Set("step", strconv.Itoa(l.Step))
	}
	if l.Insn > 0 {
		q.Set("insn", strconv.Itoa(l.Insn))
	}
	if l.Lang != "" && l.Lang != "en" {
		q.Set("lang", l.Lang)
	}
	if l.Embed {
		q.Set("embed", "1")
	}
	s := strings.TrimSuffix(prefix, "/") + "/"
	if enc := q.Encode(); enc != "" {
		s += "?" + enc
	}
	if l.Shared != "" {
		s += "#s=" + l.Shared
	}
	return s
}
