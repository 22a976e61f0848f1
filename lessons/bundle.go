package lessons

import (
	"fmt"
	"io/fs"
)

// Bundle is one lesson's files as one value: what the site writer puts in
// web/lessons/ID.json and the browser app fetches and parses. JSON:
// {"dir": "01-hash-buckets", "files": {"scenario.bpfs": "...", "en.md": "...", ...}}.
type Bundle struct {
	Dir   string            `json:"dir"`
	Files map[string]string `json:"files"`
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
// web/lessons/index.json.
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
