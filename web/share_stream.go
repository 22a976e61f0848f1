//go:build js && wasm

package web

import (
	"errors"
	"fmt"
	"syscall/js"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// encodeShare compresses src with the browser's CompressionStream
// ("deflate-raw") and hands the fragment text to then.
func encodeShare(ctx app.Context, src string, then func(string, error)) {
	ctx.Async(func() {
		out, err := pipeThrough([]byte(src), "CompressionStream", -1)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				then("", fmt.Errorf("the share link could not be made: %v", err))
				return
			}
			then(packShared(out), nil)
		})
	})
}

// decodeShare reverses encodeShare with DecompressionStream, reading at
// most MaxSharedSource+1 bytes of output.
func decodeShare(ctx app.Context, s string, then func(string, error)) {
	raw, err := unpackShared(s)
	if err != nil {
		then("", err)
		return
	}
	ctx.Async(func() {
		var text string
		out, err := pipeThrough(raw, "DecompressionStream", MaxSharedSource+1)
		if err != nil {
			err = errInflate(err)
		} else {
			text, err = checkShared(out)
		}
		ctx.Dispatch(func(app.Context) { then(text, err) })
	})
}

// pipeThrough runs data through a new ctor("deflate-raw") stream and reads
// the output, stopping (and cancelling the stream) once it holds more than
// limit bytes (limit < 0: no limit). It blocks: call it in ctx.Async.
func pipeThrough(data []byte, ctor string, limit int) ([]byte, error) {
	class := js.Global().Get(ctor)
	if !class.Truthy() {
		return nil, errors.New(ctor + " is not available in this browser")
	}
	in := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(in, data)
	blob := js.Global().Get("Blob").New([]any{in})
	reader := blob.Call("stream").Call("pipeThrough", class.New("deflate-raw")).Call("getReader")
	var out []byte
	for {
		chunk, err := await(reader.Call("read"))
		if err != nil {
			return nil, err
		}
		if chunk.Get("done").Bool() {
			return out, nil
		}
		v := chunk.Get("value")
		buf := make([]byte, v.Get("length").Int())
		js.CopyBytesToGo(buf, v)
		out = append(out, buf...)
		if limit >= 0 && len(out) > limit {
			reader.Call("cancel")
			return out, nil
		}
	}
}
