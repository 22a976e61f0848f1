package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"
)

// A share link carries the whole scenario in its fragment (#s=...): raw
// DEFLATE (RFC 1951), then unpadded base64url. No server keeps anything.
// Natively the compression is Go's compress/flate (share_flate.go); in the
// browser it is the platform's CompressionStream (share_stream.go), which
// keeps a DEFLATE implementation out of app.wasm. Both read what the other
// writes: the format is the standard, not either implementation.

// MaxSharedSource bounds a scenario decoded from a share link, so that a
// crafted fragment cannot make the page inflate megabytes.
const MaxSharedSource = 256 << 10

func errTooLarge() error { return errors.New("the shared scenario is larger than 256 KiB") }

// packShared is the fragment text of compressed bytes.
func packShared(deflated []byte) string {
	return base64.RawURLEncoding.EncodeToString(deflated)
}

// unpackShared returns the compressed bytes of a fragment.
func unpackShared(s string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		// Accept padded base64url too (some chat tools add '=').
		if raw2, err2 := base64.URLEncoding.DecodeString(s); err2 == nil {
			return raw2, nil
		}
		return nil, fmt.Errorf("the shared scenario is not valid base64url (%v); the link may be cut short", err)
	}
	return raw, nil
}

func errInflate(err error) error {
	return fmt.Errorf("the shared scenario does not decompress (%v); the link may be cut short", err)
}

// checkShared turns decompressed bytes into the scenario text.
func checkShared(out []byte) (string, error) {
	if len(out) > MaxSharedSource {
		return "", errTooLarge()
	}
	if !utf8.Valid(out) {
		return "", errors.New("the shared scenario is not UTF-8 text")
	}
	return string(out), nil
}
