//go:build js && wasm

package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/bpfplay/bpfplay/lessons"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Fetched lessons and the listing, kept for the session. Touched on the UI
// goroutine only (the fetches run in ctx.Async and hand back via Dispatch).
var (
	fetchedLessons  = map[string]lesson{}
	fetchedListings []lessons.Listing
)

// errNotFound is a 404 from the site: for a lesson, "there is no lesson".
var errNotFound = errors.New("not found")

// loadLesson fetches web/lessons/ID.txt (the service worker serves it
// offline) and parses it, once per session.
func loadLesson(ctx app.Context, prefix, id string, then func(lesson, error)) {
	if l, ok := fetchedLessons[id]; ok {
		then(l, nil)
		return
	}
	if !validLessonID(id) {
		then(lesson{}, noSuchLesson(id))
		return
	}
	// The page's prefetch (web/site's prefetchScript) may hold the lesson
	// already, or be on its way: then there is no loading frame, or no
	// second request.
	var pending js.Value
	if pre := js.Global().Get("bpLesson"); pre.Truthy() && pre.Get("id").String() == id {
		js.Global().Set("bpLesson", js.Undefined()) // used once
		if pre.Get("done").Bool() && pre.Get("text").Type() == js.TypeString {
			l, err := parseLesson(id, pre.Get("text").String())
			if err == nil {
				fetchedLessons[id] = l
			}
			then(l, err)
			return
		}
		pending = pre.Get("promise")
	}
	ctx.Async(func() {
		var l lesson
		var err error
		if text, perr := awaitText(pending); perr == nil {
			l, err = parseLesson(id, text)
		} else {
			l, err = fetchLesson(prefix, id)
		}
		ctx.Dispatch(func(app.Context) {
			if err == nil {
				fetchedLessons[id] = l
			}
			then(l, err)
		})
	})
}

func fetchLesson(prefix, id string) (lesson, error) {
	raw, err := fetchBytes(prefix + "/web/lessons/" + id + ".txt")
	if errors.Is(err, errNotFound) {
		return lesson{}, noSuchLesson(id)
	}
	if err != nil {
		return lesson{}, lessonLoadFailed(err)
	}
	return parseLesson(id, string(raw))
}

// awaitText waits for the prefetch promise; an error when there is none or
// it brought no text (then the app fetches the lesson itself).
func awaitText(p js.Value) (string, error) {
	if !p.Truthy() {
		return "", errNotFound
	}
	v, err := await(p)
	if err != nil || v.Type() != js.TypeString {
		return "", errNotFound
	}
	return v.String(), nil
}

// parseLesson parses the bundle file of lesson id.
func parseLesson(id, text string) (lesson, error) {
	b, err := lessons.ParseBundle(text)
	if err != nil {
		return lesson{}, lessonLoadFailed(err)
	}
	l, err := b.Parse()
	if err != nil {
		return lesson{}, lessonLoadFailed(err)
	}
	if l.ID != id {
		return lesson{}, lessonLoadFailed(fmt.Errorf("web/lessons/%s.txt holds lesson %q", id, l.ID))
	}
	return lesson{l}, nil
}

// loadListings fetches web/lessons/index.json, once per session.
func loadListings(ctx app.Context, prefix string, then func([]lessons.Listing, error)) {
	if fetchedListings != nil {
		then(fetchedListings, nil)
		return
	}
	ctx.Async(func() {
		var ls []lessons.Listing
		raw, err := fetchBytes(prefix + "/web/lessons/index.json")
		if err == nil {
			err = json.Unmarshal(raw, &ls)
		}
		if err != nil {
			err = fmt.Errorf("the lessons could not be loaded: %v", err)
		}
		ctx.Dispatch(func(app.Context) {
			if err == nil {
				fetchedListings = ls
			}
			then(ls, err)
		})
	})
}

// fetchBytes GETs url from the site. It blocks its goroutine until the
// response is read, so it must run in ctx.Async, never on the UI goroutine.
func fetchBytes(url string) ([]byte, error) {
	resp, err := await(js.Global().Call("fetch", url))
	if err != nil {
		return nil, err
	}
	if st := resp.Get("status").Int(); st == 404 {
		return nil, fmt.Errorf("%s: %w", url, errNotFound)
	} else if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("%s: HTTP status %d", url, st)
	}
	text, err := await(resp.Call("text"))
	if err != nil {
		return nil, err
	}
	return []byte(text.String()), nil
}
