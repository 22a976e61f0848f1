package web

import (
	"fmt"

	"github.com/bpfplay/bpfplay/lessons"
)

// lesson wraps lessons.Lesson with the lookups the pages need.
type lesson struct{ *lessons.Lesson }

// allLessons returns the curriculum, or an error the home page shows.
func allLessons() ([]lesson, error) {
	ls, err := lessons.Load()
	if err != nil {
		return nil, fmt.Errorf("the lessons could not be loaded: %v", err)
	}
	out := make([]lesson, len(ls))
	for i, l := range ls {
		out[i] = lesson{l}
	}
	return out, nil
}

// getLesson parses only the lesson asked for (lessons caches it), so
// opening a lesson does not pay for the whole curriculum.
func getLesson(id string) (lesson, error) {
	l, ok, err := lessons.Find(id)
	if err != nil {
		return lesson{}, fmt.Errorf("the lesson could not be loaded: %v", err)
	}
	if !ok {
		return lesson{}, fmt.Errorf("there is no lesson %q", truncate(id, 40))
	}
	return lesson{l}, nil
}

// text is the lesson's text in lang, falling back to English.
func (l lesson) text(lang string) *lessons.Text {
	if t, ok := l.Text[lang]; ok && t != nil {
		return t
	}
	if t, ok := l.Text["en"]; ok && t != nil {
		return t
	}
	return &lessons.Text{Title: l.ID}
}

func (l lesson) title(lang string) string { return l.text(lang).Title }

// note is the note of the group that scenario line belongs to ("" if none),
// with the group key.
func (l lesson) note(lang string, line int) (key, note string) {
	key = l.NoteKeyForLine(line)
	if key == "" {
		return "", ""
	}
	return key, l.text(lang).Notes[key]
}
