package web

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxSharedSource bounds a scenario decoded from a share link, so that a
// crafted fragment cannot make the page inflate megabytes.
const MaxSharedSource = 256 << 10

// EncodeSource packs a scenario for a URL fragment: raw DEFLATE, then
// unpadded base64url. The link carries the whole scenario; no server keeps it.
func EncodeSource(src string) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write([]byte(src))
	w.Close()
	return base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// DecodeSource reverses EncodeSource. Every failure is an error with a
// reason a person can act on; it never panics.
func DecodeSource(s string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		// Accept padded base64url too (some chat tools add '=').
		if raw2, err2 := base64.URLEncoding.DecodeString(s); err2 == nil {
			raw, err = raw2, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("the shared scenario is not valid base64url (%v); the link may be cut short", err)
	}
	r := flate.NewReader(bytes.NewReader(raw))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, MaxSharedSource+1))
	if err != nil {
		return "", fmt.Errorf("the shared scenario does not decompress (%v); the link may be cut short", err)
	}
	if len(out) > MaxSharedSource {
		return "", errors.New("the shared scenario is larger than 256 KiB")
	}
	if !utf8.Valid(out) {
		return "", errors.New("the shared scenario is not UTF-8 text")
	}
	return string(out), nil
}
