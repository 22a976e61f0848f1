package web

import (
	"fmt"

	"github.com/bpfplay/bpfplay/lessons"
)

// The app gets lessons through loadLesson and loadListings. Natively
// (prerendering, component tests) they answer at once from the embedded
// curriculum (lessons_embedded.go); in the browser they fetch the site's
// web/lessons files (lessons_fetched.go), so app.wasm does not carry the
// lessons' text. Either way `then` runs on the UI goroutine.

// lesson wraps lessons.Lesson with the lookups the pages need.
type lesson struct{ *lessons.Lesson }

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

// inLang picks lang from a by-language map, falling back to English.
func inLang(m map[string]string, lang string) string {
	if s, ok := m[lang]; ok && s != "" {
		return s
	}
	return m["en"]
}

func noSuchLesson(id string) error { return fmt.Errorf("there is no lesson %q", truncate(id, 40)) }

func lessonLoadFailed(err error) error { return fmt.Errorf("the lesson could not be loaded: %v", err) }

// validLessonID says whether id could name a lesson (a-z, 0-9, '-'), so a
// crafted URL is answered without a request.
func validLessonID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
