// Package lessons holds the bpfplay curriculum: short lessons, each a
// scenario (sim/scenario source) plus its text in English and Chinese.
//
// The content is embedded (embed.FS) for the CLI, the tests and the site
// writer. The browser app does not link it: the site carries each lesson as
// a Bundle (web/lessons/ID.txt) and the app parses the one it opens with
// Bundle.Parse, so app.wasm does not carry the curriculum's text. Each lesson
// is a directory content/NN-id/ with:
//
//	scenario.bpfs  the scenario; a comment line "#: key" starts the group
//	               "key": the statements after it belong to that group and
//	               the UI shows the group's note next to them.
//	en.md          English text
//	zh-CN.md       Chinese text
//	layout.json    optional: value structs on cache lines (see Layout)
//
// A text file starts with front matter between "---" lines (title, summary,
// seeds, topics), then the intro, then one "## key" section per note group.
// A final "## outro" section is the lesson's closing text. Notes are
// markdown without raw HTML.
package lessons

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed content topics.json
var content embed.FS

// Lesson is one lesson of the curriculum.
type Lesson struct {
	ID     string   // "hash-buckets"
	Seeds  []string // seed sections covered, e.g. "001 §哈希表映射", "003 map_create"
	Topics []string // index topics and map types
	Script string   // the scenario source (language-neutral; comments in English)
	// Text is the lesson's text by language: "en", "zh-CN".
	Text map[string]*Text
	// Layout is an optional value-layout diagram (layout.json), or nil.
	Layout *Layout

	// groups[i] is the note group of script line i+1 ("" before any marker).
	groups []string
	// keys are the group keys in the order their markers appear.
	keys []string
}

// Text is a lesson's text in one language.
type Text struct {
	Title, Summary, Intro string
	Notes                 map[string]string // by group key
	Outro                 string
}

// The languages every lesson is written in, in display order.
var languages = []string{"en", "zh-CN"}

// Languages returns the languages every lesson has: "en", "zh-CN".
func Languages() []string { return append([]string(nil), languages...) }

// NormalizeLang maps user spellings ("zh", "zh_CN", "zh-cn", "EN") to one of
// Languages(); ok is false for a language we do not have.
func NormalizeLang(s string) (lang string, ok bool) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "en", "en-us", "en-gb":
		return "en", true
	case "zh", "zh-cn", "zh-hans", "zh-hans-cn":
		return "zh-CN", true
	}
	return "", false
}

// NoteKeyForLine returns the note group that scenario line `line` (1-based)
// belongs to: the key of the nearest "#: key" marker above it, or "" when
// there is none or the line is out of range.
func (l *Lesson) NoteKeyForLine(line int) string {
	if line < 1 || line > len(l.groups) {
		return ""
	}
	return l.groups[line-1]
}

// NoteKeys returns the lesson's group keys in script order.
func (l *Lesson) NoteKeys() []string { return append([]string(nil), l.keys...) }

// MarkerLine returns the 1-based line of the "#: key" marker, or 0.
func (l *Lesson) MarkerLine(key string) int {
	for i, g := range l.groups {
		if g == key && (i == 0 || l.groups[i-1] != key) {
			return i + 1
		}
	}
	return 0
}

// Lessons are parsed on demand: the index (ids in curriculum order) comes
// from the directory names alone, and a lesson's scenario and text are
// parsed the first time it is asked for. The browser opens one lesson, so
// it parses one lesson, not the whole curriculum.
var (
	indexOnce sync.Once
	index     []entry // every lesson directory in curriculum order
	indexErr  error

	mu     sync.Mutex
	parsed = map[string]*Lesson{} // by directory, once parsed

	loadOnce sync.Once // the full Load
	loadErr  error
)

// entry is a lesson directory and the id it gives.
type entry struct{ dir, id string }

// lessonIndex lists the lesson directories in name order (no parsing).
func lessonIndex() ([]entry, error) {
	indexOnce.Do(func() {
		dirs, err := lessonDirs(content)
		if err != nil {
			indexErr = err
			return
		}
		for _, d := range dirs {
			index = append(index, entry{dir: d, id: lessonID(d)})
		}
	})
	return index, indexErr
}

// IDs returns every lesson id in curriculum order without parsing any
// lesson (the directory names give them).
func IDs() []string {
	idx, _ := lessonIndex()
	out := make([]string, len(idx))
	for i, e := range idx {
		out[i] = e.id
	}
	return out
}

// All returns every lesson in curriculum order. The embedded content is
// checked by the tests, so a load error here is a build defect: All panics
// on it rather than hide lessons.
func All() []*Lesson {
	out, err := Load()
	if err != nil {
		panic("lessons: " + err.Error())
	}
	return out
}

// Get returns the lesson with the given id, parsing only that lesson (once).
// Like All, it panics when the lesson's embedded content is broken.
func Get(id string) (*Lesson, bool) {
	l, ok, err := Find(id)
	if err != nil {
		panic("lessons: " + err.Error())
	}
	return l, ok
}

// Find is Get with the parse error as a value: it parses only the lesson
// id (once) and reports ok false when there is no such lesson.
func Find(id string) (l *Lesson, ok bool, err error) {
	idx, err := lessonIndex()
	if err != nil {
		return nil, false, err
	}
	for _, e := range idx {
		if e.id == id {
			l, err := parseDir(e.dir)
			if err != nil {
				return nil, false, fmt.Errorf("%s: %w", e.dir, err)
			}
			return l, true, nil
		}
	}
	return nil, false, nil
}

// parseDir parses the lesson in content/dir, or returns the cached one.
func parseDir(dir string) (*Lesson, error) {
	mu.Lock()
	defer mu.Unlock()
	if l, ok := parsed[dir]; ok {
		return l, nil
	}
	l, err := Parse(dir, contentDir{dir})
	if err != nil {
		return nil, err
	}
	parsed[dir] = l
	return l, nil
}

// Load parses every lesson of the embedded content (those already parsed
// are reused) and reports the first problem found, duplicate ids included.
// Tests call it to get the error as a value.
func Load() ([]*Lesson, error) {
	loadOnce.Do(func() { loadErr = loadAll() })
	if loadErr != nil {
		return nil, loadErr
	}
	idx, _ := lessonIndex()
	out := make([]*Lesson, len(idx))
	mu.Lock()
	for i, e := range idx {
		out[i] = parsed[e.dir]
	}
	mu.Unlock()
	return out, nil
}

// lessonDirs lists the lesson directories under content/ in name order.
func lessonDirs(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, "content")
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}

// loadAll parses every embedded lesson through the cache and checks that
// the ids are unique.
func loadAll() error {
	idx, err := lessonIndex()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, e := range idx {
		if _, err := parseDir(e.dir); err != nil {
			return fmt.Errorf("%s: %w", e.dir, err)
		}
		if seen[e.id] {
			return fmt.Errorf("%s: duplicate lesson id %q", e.dir, e.id)
		}
		seen[e.id] = true
	}
	return nil
}

// lessonID strips the "NN-" ordering prefix from a directory name.
func lessonID(dir string) string {
	if i := strings.IndexByte(dir, '-'); i > 0 && strings.Trim(dir[:i], "0123456789") == "" {
		return dir[i+1:]
	}
	return dir
}

// Files gives a lesson's files by name ("scenario.bpfs", "en.md",
// "zh-CN.md", "layout.json"): the embedded content natively, a Bundle
// fetched from the site in the browser.
type Files interface {
	ReadFile(name string) ([]byte, error)
}

// contentDir reads the files of one embedded lesson directory.
type contentDir struct{ dir string }

func (c contentDir) ReadFile(name string) ([]byte, error) {
	return content.ReadFile(path.Join("content", c.dir, name))
}

// Parse reads and checks the lesson in directory dir ("01-hash-buckets")
// from files.
func Parse(dir string, files Files) (*Lesson, error) {
	script, err := files.ReadFile("scenario.bpfs")
	if err != nil {
		return nil, err
	}
	l := &Lesson{ID: lessonID(dir), Script: string(script), Text: map[string]*Text{}}
	if err := l.scanGroups(); err != nil {
		return nil, err
	}
	var meta *frontMatter
	for _, lang := range languages {
		raw, err := files.ReadFile(lang + ".md")
		if err != nil {
			return nil, err
		}
		fm, t, err := parseText(string(raw))
		if err != nil {
			return nil, fmt.Errorf("%s.md: %w", lang, err)
		}
		if meta == nil {
			meta = fm
		} else if !equal(meta.seeds, fm.seeds) || !equal(meta.topics, fm.topics) {
			return nil, fmt.Errorf("%s.md: seeds or topics differ from %s.md", lang, languages[0])
		}
		l.Text[lang] = t
	}
	l.Seeds, l.Topics = meta.seeds, meta.topics
	if raw, err := files.ReadFile("layout.json"); err == nil { // optional
		if l.Layout, err = parseLayout(raw); err != nil {
			return nil, err
		}
	}
	// Every marker has a note in every language and every note has a marker.
	for _, lang := range languages {
		t := l.Text[lang]
		for _, k := range l.keys {
			if strings.TrimSpace(t.Notes[k]) == "" {
				return nil, fmt.Errorf("%s.md: no note for group %q", lang, k)
			}
		}
		for k := range t.Notes {
			if l.MarkerLine(k) == 0 {
				return nil, fmt.Errorf("%s.md: note %q has no \"#: %s\" marker in scenario.bpfs", lang, k, k)
			}
		}
	}
	return l, nil
}

// scanGroups assigns every script line to the group of the marker above it.
func (l *Lesson) scanGroups() error {
	cur := ""
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(l.Script))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#:") {
			key := strings.TrimSpace(line[2:])
			if !validKey(key) {
				return fmt.Errorf("scenario.bpfs:%d: bad group key %q (use a-z, 0-9 and -)", n, key)
			}
			if seen[key] {
				return fmt.Errorf("scenario.bpfs:%d: group %q marked twice", n, key)
			}
			seen[key] = true
			l.keys = append(l.keys, key)
			cur = key
		}
		l.groups = append(l.groups, cur)
	}
	return sc.Err()
}

func validKey(k string) bool {
	if k == "" || k == "outro" || k == "intro" {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

type frontMatter struct {
	seeds, topics []string
}

// parseText reads front matter, the intro, "## key" notes and "## outro".
func parseText(src string) (*frontMatter, *Text, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	if !strings.HasPrefix(src, "---\n") {
		return nil, nil, fmt.Errorf("missing front matter")
	}
	end := strings.Index(src[4:], "\n---\n")
	if end < 0 {
		return nil, nil, fmt.Errorf("unterminated front matter")
	}
	head, body := src[4:4+end], src[4+end+5:]
	fm := &frontMatter{}
	t := &Text{Notes: map[string]string{}}
	for _, line := range strings.Split(head, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, fmt.Errorf("front matter line %q: want key: value", line)
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "title":
			t.Title = v
		case "summary":
			t.Summary = v
		case "seeds":
			fm.seeds = splitList(v)
		case "topics":
			fm.topics = splitList(v)
		default:
			return nil, nil, fmt.Errorf("unknown front matter key %q", k)
		}
	}
	if t.Title == "" || t.Summary == "" {
		return nil, nil, fmt.Errorf("title and summary are required")
	}
	if len(fm.seeds) == 0 || len(fm.topics) == 0 {
		return nil, nil, fmt.Errorf("seeds and topics are required")
	}
	if strings.Contains(body, "<") && hasRawHTML(body) {
		return nil, nil, fmt.Errorf("raw HTML is not allowed in lesson text")
	}
	key := ""
	var buf []string
	flush := func() error {
		text := strings.TrimSpace(strings.Join(buf, "\n"))
		buf = buf[:0]
		switch key {
		case "":
			t.Intro = text
		case "outro":
			t.Outro = text
		default:
			if _, dup := t.Notes[key]; dup {
				return fmt.Errorf("note %q appears twice", key)
			}
			t.Notes[key] = text
		}
		return nil
	}
	inFence := false
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if !inFence && strings.HasPrefix(line, "## ") {
			if err := flush(); err != nil {
				return nil, nil, err
			}
			key = strings.TrimSpace(line[3:])
			if key != "outro" && !validKey(key) {
				return nil, nil, fmt.Errorf("bad note key %q", key)
			}
			continue
		}
		buf = append(buf, line)
	}
	if err := flush(); err != nil {
		return nil, nil, err
	}
	if t.Intro == "" {
		return nil, nil, fmt.Errorf("the intro is empty")
	}
	return fm, t, nil
}

// hasRawHTML reports an HTML tag outside code spans and fences: "<" followed
// by a letter, "/" or "!".
func hasRawHTML(body string) bool {
	inFence := false
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		inCode := false
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c == '`':
				inCode = !inCode
			case c == '<' && !inCode && i+1 < len(line):
				n := line[i+1]
				if n == '/' || n == '!' || n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z' {
					return true
				}
			}
		}
	}
	return false
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
