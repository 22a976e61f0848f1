package web

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// el builds any element through go-app's generic Elem. go-app v9 gives
// every tag its own type with a large method set, and each type used links
// all of its methods into app.wasm; one generic type for every tag (with
// attributes set through Attr) keeps the wasm much smaller.
func el(tag string) app.HTMLElem { return app.Elem(tag) }

// elc builds a self-closing element (input).
func elc(tag string) app.HTMLElemSelfClosing { return app.ElemSelfClosing(tag) }
