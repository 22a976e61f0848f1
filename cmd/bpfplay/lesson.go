package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/bpfplay/bpfplay/lessons"
	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/scenario"
)

func init() {
	registerCommand("lesson", "list or run the built-in lessons", cmdLesson)
}

const lessonUsage = `usage: bpfplay lesson list [--json]
       bpfplay lesson run ID [--lang en|zh|zh-CN]`

// cmdLesson is `bpfplay lesson list [--json]` and
// `bpfplay lesson run ID [--lang zh|zh-CN|en]`.
//
// list prints one line per lesson: its id, its languages and the seed
// sections it covers. run plays a lesson in the terminal, non-interactively:
// the intro, then every step of the scenario with its result under the note
// of its group, then the closing text. Exit status: 0 when every step ran
// and every expectation held, 1 when an expectation failed, 2 for a script
// error or a usage error.
func cmdLesson(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, lessonUsage)
		return 2
	}
	if _, err := lessons.Load(); err != nil {
		fmt.Fprintf(stderr, "bpfplay lesson: the built-in lessons do not load: %v\n", err)
		return 2
	}
	switch args[0] {
	case "list":
		return lessonList(args[1:])
	case "run":
		return lessonRun(args[1:])
	case "-h", "--help", "-help", "help":
		fmt.Fprintln(stdout, lessonUsage)
		return 0
	}
	fmt.Fprintf(stderr, "bpfplay lesson: unknown subcommand %q\n%s\n", args[0], lessonUsage)
	return 2
}

func lessonList(args []string) int {
	jsonOut := false
	for _, a := range args {
		switch a {
		case "--json", "-json":
			jsonOut = true
		default:
			fmt.Fprintf(stderr, "bpfplay lesson list: unexpected %q\n%s\n", a, lessonUsage)
			return 2
		}
	}
	all := lessons.All()
	if jsonOut {
		type entry struct {
			ID        string            `json:"id"`
			Languages []string          `json:"languages"`
			Seeds     []string          `json:"seeds"`
			Topics    []string          `json:"topics"`
			Title     map[string]string `json:"title"`
		}
		out := make([]entry, 0, len(all))
		for _, l := range all {
			e := entry{ID: l.ID, Languages: languagesOf(l), Seeds: l.Seeds, Topics: l.Topics, Title: map[string]string{}}
			for lang, t := range l.Text {
				e.Title[lang] = t.Title
			}
			out = append(out, e)
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "bpfplay lesson list: %v\n", err)
			return 2
		}
		return 0
	}
	for _, l := range all {
		fmt.Fprintf(stdout, "%-18s %-9s %s\n", l.ID, strings.Join(languagesOf(l), ","), strings.Join(l.Seeds, "; "))
	}
	return 0
}

func languagesOf(l *lessons.Lesson) []string {
	var out []string
	for _, lang := range lessons.Languages() {
		if l.Text[lang] != nil {
			out = append(out, lang)
		}
	}
	return out
}

func lessonRun(args []string) int {
	lang := "en"
	id := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--lang" || a == "-lang":
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "bpfplay lesson run: --lang needs a language (%s)\n", strings.Join(lessons.Languages(), ", "))
				return 2
			}
			i++
			lang = args[i]
		case strings.HasPrefix(a, "--lang=") || strings.HasPrefix(a, "-lang="):
			_, lang, _ = strings.Cut(a, "=")
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(stderr, "bpfplay lesson run: unknown flag %s\n%s\n", a, lessonUsage)
			return 2
		case id == "":
			id = a
		default:
			fmt.Fprintf(stderr, "bpfplay lesson run: one lesson at a time\n%s\n", lessonUsage)
			return 2
		}
	}
	if id == "" {
		fmt.Fprintln(stderr, lessonUsage)
		return 2
	}
	norm, ok := lessons.NormalizeLang(lang)
	if !ok {
		fmt.Fprintf(stderr, "bpfplay lesson run: no lessons in %q (have %s)\n", lang, strings.Join(lessons.Languages(), ", "))
		return 2
	}
	l, ok := lessons.Get(id)
	if !ok {
		fmt.Fprintf(stderr, "bpfplay lesson run: no lesson %q (see bpfplay lesson list)\n", id)
		return 2
	}
	return playLesson(stdout, stderr, l, norm)
}

// playLesson prints the lesson with every step's result and returns the
// exit status.
func playLesson(w, errw io.Writer, l *lessons.Lesson, lang string) int {
	t := l.Text[lang]
	file := "lessons/" + l.ID + "/scenario.bpfs"
	script, err := scenario.Parse(file, l.Script)
	if err != nil {
		fmt.Fprintf(errw, "%v\n", err)
		return 2
	}
	tr := scenario.Run(script, scenario.Options{})

	fmt.Fprintf(w, "%s\n%s\n\n%s\n\n%s\n", t.Title, strings.Repeat("=", displayWidth(t.Title)), t.Summary, t.Intro)
	group := ""
	failed, broken := 0, 0
	for i := range tr.Steps {
		st := &tr.Steps[i]
		if g := l.NoteKeyForLine(st.Line); g != group {
			group = g
			fmt.Fprintf(w, "\n--- %s ---\n%s\n\n", g, indent(t.Notes[g], ""))
		}
		fmt.Fprintf(w, "  %3d  %s\n", st.Line, st.Text)
		switch {
		case st.Err != nil:
			broken++
			fmt.Fprintf(w, "       !! %v\n", st.Err)
		case st.Failed:
			failed++
			fmt.Fprintf(w, "       FAIL: expected %s, got %s\n", st.Expect, st.Got)
		default:
			if r := stepResult(st); r != "" {
				fmt.Fprintf(w, "       -> %s\n", r)
			}
		}
	}
	if t.Outro != "" {
		fmt.Fprintf(w, "\n%s\n", t.Outro)
	}
	switch {
	case broken > 0:
		fmt.Fprintf(errw, "bpfplay lesson run %s: %d step(s) could not run\n", l.ID, broken)
		return 2
	case failed > 0:
		fmt.Fprintf(errw, "bpfplay lesson run %s: %d expectation(s) failed\n", l.ID, failed)
		return 1
	}
	return 0
}

// stepResult is the one-line result of a step: its value or errno, and a
// mark when an expectation held.
func stepResult(st *scenario.Step) string {
	var parts []string
	if st.Display != "" {
		parts = append(parts, st.Display)
	}
	if st.Errno != sim.OK || st.Display == "" {
		parts = append(parts, st.Errno.String())
	}
	r := strings.Join(parts, " ")
	if st.Expect != "" {
		r += "   [as expected]"
	}
	return r
}

func indent(s, prefix string) string {
	if prefix == "" {
		return s
	}
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// displayWidth counts wide (CJK) characters twice, for the title underline.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 || r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6) {
			n += 2
		} else {
			n++
		}
	}
	return n
}
