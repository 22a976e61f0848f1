package lessons

import (
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Bundle is one lesson's files as one value: what the site writer puts in
// web/lessons/ID.txt (MarshalText) and the browser app fetches and parses
// (ParseBundle, then Parse).
type Bundle struct {
	Dir   string
	Files map[string]string
}

// The bundle file is plain text, not JSON, so that opening a lesson in the
// browser does not run (and compile) the reflection-driven JSON decoder:
//
//	bpfplay lesson bundle 1
//	dir 01-hash-buckets
//	file en.md 5210
//	<5210 bytes>
//	file scenario.bpfs 1834
//	<1834 bytes>
//
// Each file's bytes follow its header line and a newline ends them; files
// are in name order.
const bundleMagic = "bpfplay lesson bundle 1\n"

// MarshalText writes the bundle file.
func (b Bundle) MarshalText() ([]byte, error) {
	if b.Dir == "" || strings.ContainsAny(b.Dir, " \n") {
		return nil, fmt.Errorf("lesson bundle: bad directory name %q", b.Dir)
	}
	names := make([]string, 0, len(b.Files))
	for name := range b.Files {
		if name == "" || strings.ContainsAny(name, " \n") {
			return nil, fmt.Errorf("lesson bundle %s: bad file name %q", b.Dir, name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var out strings.Builder
	out.WriteString(bundleMagic)
	out.WriteString("dir " + b.Dir + "\n")
	for _, name := range names {
		out.WriteString("file " + name + " " + strconv.Itoa(len(b.Files[name])) + "\n")
		out.WriteString(b.Files[name])
		out.WriteString("\n")
	}
	return []byte(out.String()), nil
}

// ParseBundle reads a bundle file. Errors name the line (counted over the
// whole file) where the file stops making sense.
func ParseBundle(data string) (Bundle, error) {
	line := 1
	fail := func(format string, args ...any) (Bundle, error) {
		return Bundle{}, fmt.Errorf("lesson bundle line %d: %s", line, fmt.Sprintf(format, args...))
	}
	if !strings.HasPrefix(data, bundleMagic) {
		return fail("not a bpfplay lesson bundle (want %q)", strings.TrimSpace(bundleMagic))
	}
	rest := data[len(bundleMagic):]
	line++
	header := func() (string, bool) {
		h, after, ok := strings.Cut(rest, "\n")
		rest = after
		return h, ok
	}
	h, ok := header()
	dir, isDir := strings.CutPrefix(h, "dir ")
	if !ok || !isDir || dir == "" {
		return fail("want \"dir NAME\"")
	}
	b := Bundle{Dir: dir, Files: map[string]string{}}
	for rest != "" {
		line++
		h, ok := header()
		f := strings.Fields(h)
		if !ok || len(f) != 3 || f[0] != "file" {
			return fail("want \"file NAME SIZE\"")
		}
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 0 || n+1 > len(rest) || rest[n] != '\n' {
			return fail("file %s: size %s does not match the data", f[1], f[2])
		}
		if _, dup := b.Files[f[1]]; dup {
			return fail("file %s twice", f[1])
		}
		b.Files[f[1]] = rest[:n]
		line += strings.Count(rest[:n+1], "\n")
		rest = rest[n+1:]
	}
	return b, nil
}

// ReadFile makes a Bundle the Files of Parse.
func (b Bundle) ReadFile(name string) ([]byte, error) {
	s, ok := b.Files[name]
	if !ok {
		return nil, fmt.Errorf("lesson %s: %s: %w", b.Dir, name, fs.ErrNotExist)
	}
	return []byte(s), nil
}

// Parse parses the bundled lesson (the checks of the embedded content
// apply: a bundle from an older or damaged site gives an error, not a
// half-drawn lesson).
func (b Bundle) Parse() (*Lesson, error) {
	if b.Dir == "" {
		return nil, fmt.Errorf("lesson bundle without a directory name")
	}
	l, err := Parse(b.Dir, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Dir, err)
	}
	return l, nil
}

// Bundles returns every embedded lesson as a Bundle, in curriculum order.
func Bundles() ([]Bundle, error) {
	idx, err := lessonIndex()
	if err != nil {
		return nil, err
	}
	out := make([]Bundle, 0, len(idx))
	for _, e := range idx {
		files, err := fs.ReadDir(content, "content/"+e.dir)
		if err != nil {
			return nil, err
		}
		b := Bundle{Dir: e.dir, Files: map[string]string{}}
		for _, f := range files {
			if f.IsDir() {
				continue
			}
			raw, err := contentDir{e.dir}.ReadFile(f.Name())
			if err != nil {
				return nil, err
			}
			b.Files[f.Name()] = string(raw)
		}
		out = append(out, b)
	}
	return out, nil
}

// IDOf is the lesson id a directory name gives ("01-hash-buckets" →
// "hash-buckets").
func IDOf(dir string) string { return lessonID(dir) }

// Listing is what a list of lessons shows (the home page): the id, and the
// title and summary by language. The site writes them all to
// web/lessons/index.json (JSON: only the home page reads it).
type Listing struct {
	ID        string            `json:"id"`
	Titles    map[string]string `json:"titles"`
	Summaries map[string]string `json:"summaries"`
}

// Listings returns the listing of every embedded lesson, in curriculum
// order.
func Listings() ([]Listing, error) {
	ls, err := Load()
	if err != nil {
		return nil, err
	}
	out := make([]Listing, len(ls))
	for i, l := range ls {
		out[i] = Listing{ID: l.ID, Titles: map[string]string{}, Summaries: map[string]string{}}
		for lang, t := range l.Text {
			out[i].Titles[lang], out[i].Summaries[lang] = t.Title, t.Summary
		}
	}
	return out, nil
}
