//go:build !(js && wasm)

package web

import (
	"bytes"
	"compress/flate"
	"io"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// EncodeSource packs a scenario for a URL fragment (see share.go).
func EncodeSource(src string) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write([]byte(src))
	w.Close()
	return packShared(b.Bytes())
}

// DecodeSource reverses EncodeSource. Every failure is an error with a
// reason a person can act on; it never panics.
func DecodeSource(s string) (string, error) {
	raw, err := unpackShared(s)
	if err != nil {
		return "", err
	}
	r := flate.NewReader(bytes.NewReader(raw))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, MaxSharedSource+1))
	if err != nil {
		return "", errInflate(err)
	}
	return checkShared(out)
}

// encodeShare and decodeShare answer at once natively; in the browser they
// are asynchronous (share_stream.go). `then` runs on the UI goroutine.
func encodeShare(_ app.Context, src string, then func(string, error)) { then(EncodeSource(src), nil) }

func decodeShare(_ app.Context, s string, then func(string, error)) { then(DecodeSource(s)) }
