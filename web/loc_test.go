//go:build !(js && wasm)

// Native only: EncodeSource and DecodeSource are the native share codec
// (share_flate.go); the browser one is tested in internal/browsertest.

package web

import (
	"net/url"
	"strings"
	"testing"
)

func TestLocRoundTrip(t *testing.T) {
	cases := []Loc{
		{Lang: "en"},
		{Page: PageLesson, Lesson: "hash-buckets", Step: 7, Lang: "zh-CN"},
		{Page: PagePlay, Step: 3, Insn: 5, Lang: "en", Shared: EncodeSource("map m type=hash key=4 value=4 max=4\n")},
		{Page: PageLesson, Lesson: "lru", Lang: "en", Embed: true},
	}
	for _, c := range cases {
		for _, prefix := range []string{"", "/some/path"} {
			s := c.URL(prefix)
			if !strings.HasPrefix(s, prefix+"/") {
				t.Errorf("%+v: URL %q lacks prefix %q", c, s, prefix)
			}
			u, err := url.Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			got := ParseLoc(u)
			if got.Page != c.Page || got.Lesson != c.Lesson || got.Step != c.Step || got.Insn != c.Insn ||
				got.Lang != c.Lang || got.Embed != c.Embed || got.Shared != c.Shared || len(got.Problems) != 0 {
				t.Errorf("round trip of %+v via %q gave %+v", c, s, got)
			}
		}
	}
}

// TestParseLocNeverFails feeds bad URLs: each bad part is reported, the
// rest still applies, nothing panics.
func TestParseLocNeverFails(t *testing.T) {
	for _, raw := range []string{
		"/?step=-1&lang=xx&page=nope#junk",
		"/?step=99999999999999999999",
		"/?lesson=%00%ff&step=abc",
		"/#s=",
		"/?lang=zh_cn&step=2",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		l := ParseLoc(u)
		if raw == "/?lang=zh_cn&step=2" {
			if l.Lang != "zh-CN" || l.Step != 2 || len(l.Problems) != 0 {
				t.Errorf("%s: %+v", raw, l)
			}
			continue
		}
		if strings.Contains(raw, "step=") && l.Step != 0 {
			t.Errorf("%s: bad step accepted: %d", raw, l.Step)
		}
		if raw != "/#s=" && len(l.Problems) == 0 {
			t.Errorf("%s: no problem reported", raw)
		}
	}
	if l := ParseLoc(nil); l.Lang != "en" {
		t.Errorf("nil URL: %+v", l)
	}
}

func TestShareRoundTrip(t *testing.T) {
	src := "# 哈希表\nmap counts type=hash key=4 value=8 max=8 flags=zero_seed\nupdate counts 1 100\n"
	enc := EncodeSource(src)
	if strings.ContainsAny(enc, "+/=") {
		t.Errorf("not base64url: %q", enc)
	}
	got, err := DecodeSource(enc)
	if err != nil || got != src {
		t.Fatalf("DecodeSource = %q, %v", got, err)
	}
}

func TestShareDecodeErrors(t *testing.T) {
	big := EncodeSource(strings.Repeat("a", MaxSharedSource+10))
	for name, in := range map[string]string{
		"not base64": "!!!",
		"truncated":  EncodeSource("update counts 1 100 and some more text")[:10],
		"zip bomb":   big,
		"not utf8":   EncodeSource("\xff\xfe"),
	} {
		if _, err := DecodeSource(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecodeSource(f *testing.F) {
	f.Add(EncodeSource("map m type=hash key=4 value=4 max=4"))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		DecodeSource(s) // must not panic
		u, err := url.Parse("/?step=1#s=" + s)
		if err == nil {
			ParseLoc(u)
		}
	})
}
