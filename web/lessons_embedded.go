//go:build !(js && wasm)

package web

import (
	"github.com/bpfplay/bpfplay/lessons"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// loadLesson gives the embedded lesson id at once.
func loadLesson(_ app.Context, _ string, id string, then func(lesson, error)) {
	if !validLessonID(id) {
		then(lesson{}, noSuchLesson(id))
		return
	}
	l, ok, err := lessons.Find(id)
	switch {
	case err != nil:
		then(lesson{}, lessonLoadFailed(err))
	case !ok:
		then(lesson{}, noSuchLesson(id))
	default:
		then(lesson{l}, nil)
	}
}

// loadListings gives the embedded curriculum's listing at once.
func loadListings(_ app.Context, _ string, then func([]lessons.Listing, error)) {
	ls, err := lessons.Listings()
	if err != nil {
		err = lessonLoadFailed(err)
	}
	then(ls, err)
}
