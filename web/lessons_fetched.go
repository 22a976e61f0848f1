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

// loadLesson fetches web/lessons/ID.json (the service worker serves it
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
	ctx.Async(func() {
		l, err := fetchLesson(prefix, id)
		ctx.Dispatch(func(app.Context) {
			if err == nil {
				fetchedLessons[id] = l
			}
			then(l, err)
		})
	})
}

func fetchLesson(prefix, id string) (lesson, error) {
	raw, err := fetchBytes(prefix + "/web/lessons/" + id + ".json")
	if errors.Is(err, errNotFound) {
		return lesson{}, noSuchLesson(id)
	}
	if err != nil {
		return lesson{}, lessonLoadFailed(err)
	}
	var b lessons.Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return lesson{}, lessonLoadFailed(err)
	}
	l, err := b.Parse()
	if err != nil {
		return lesson{}, lessonLoadFailed(err)
	}
	if l.ID != id {
		return lesson{}, lessonLoadFailed(fmt.Errorf("web/lessons/%s.json holds lesson %q", id, l.ID))
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
