package lessons

import (
	"reflect"
	"strings"
	"testing"
)

// TestBundlesParseLikeTheEmbeddedContent: what the browser parses (a Bundle
// written and read back as the bundle file the site serves) is the lesson
// the CLI and the tests parse from the embedded content.
func TestBundlesParseLikeTheEmbeddedContent(t *testing.T) {
	bundles, err := Bundles()
	if err != nil {
		t.Fatal(err)
	}
	all, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(bundles) != len(all) {
		t.Fatalf("%d bundles for %d lessons", len(bundles), len(all))
	}
	for i, b := range bundles {
		raw, err := b.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseBundle(string(raw))
		if err != nil {
			t.Fatalf("%s: %v", b.Dir, err)
		}
		if !reflect.DeepEqual(back, b) {
			t.Errorf("%s: the bundle file does not read back as written", b.Dir)
		}
		l, err := back.Parse()
		if err != nil {
			t.Fatalf("%s: %v", b.Dir, err)
		}
		if !reflect.DeepEqual(l, all[i]) {
			t.Errorf("%s: the bundle parses to a different lesson than the embedded content", b.Dir)
		}
		if IDOf(b.Dir) != all[i].ID {
			t.Errorf("%s: IDOf gives %q, lesson id is %q", b.Dir, IDOf(b.Dir), all[i].ID)
		}
	}
}

// TestBundleErrors: a damaged bundle (from an old or broken site) is an
// error naming the lesson and the file, never a half-parsed lesson.
func TestBundleErrors(t *testing.T) {
	bundles, err := Bundles()
	if err != nil {
		t.Fatal(err)
	}
	good := bundles[0]
	cases := map[string]func(Bundle) Bundle{
		"scenario.bpfs": func(b Bundle) Bundle { delete(b.Files, "scenario.bpfs"); return b },
		"zh-CN.md":      func(b Bundle) Bundle { delete(b.Files, "zh-CN.md"); return b },
		"front matter":  func(b Bundle) Bundle { b.Files["en.md"] = "no front matter"; return b },
		"directory":     func(b Bundle) Bundle { b.Dir = ""; return b },
	}
	for want, damage := range cases {
		b := Bundle{Dir: good.Dir, Files: map[string]string{}}
		for k, v := range good.Files {
			b.Files[k] = v
		}
		l, err := damage(b).Parse()
		if err == nil || l != nil {
			t.Errorf("%s: got lesson %v, err %v; want an error", want, l, err)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q does not name it", want, err)
		}
	}
}

// TestListings: the home page's list names every lesson, in order, with a
// title and summary in every language.
func TestListings(t *testing.T) {
	ls, err := Listings()
	if err != nil {
		t.Fatal(err)
	}
	ids := IDs()
	if len(ls) != len(ids) {
		t.Fatalf("%d listings for %d lessons", len(ls), len(ids))
	}
	for i, l := range ls {
		if l.ID != ids[i] {
			t.Errorf("listing %d is %q, want %q", i, l.ID, ids[i])
		}
		for _, lang := range Languages() {
			if l.Titles[lang] == "" || l.Summaries[lang] == "" {
				t.Errorf("%s: no title or summary in %s", l.ID, lang)
			}
		}
	}
}

// TestParseBundleErrors: a damaged bundle file (cut short, edited, from
// another program) is an error naming its line, never a panic or a bundle
// with wrong files.
func TestParseBundleErrors(t *testing.T) {
	good, err := Bundle{Dir: "01-x", Files: map[string]string{"a.md": "one\ntwo", "b.bpfs": ""}}.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if want := "bpfplay lesson bundle 1\ndir 01-x\nfile a.md 7\none\ntwo\nfile b.bpfs 0\n\n"; string(good) != want {
		t.Fatalf("bundle file:\n%q\nwant\n%q", good, want)
	}
	cases := map[string]string{
		"":                          "line 1: not a bpfplay lesson bundle",
		"{\"dir\": \"01-x\"}":       "line 1: not a bpfplay lesson bundle",
		string(good[:30]):           "line 2: want \"dir NAME\"",
		string(good[:len(good)-12]): "line 6: want \"file NAME SIZE\"",
		string(good[:strings.Index(string(good), "two")]):     "line 3: file a.md: size 7",
		strings.Replace(string(good), "a.md 7", "a.md 9", 1):  "line 3: file a.md: size 9",
		strings.Replace(string(good), "a.md 7", "a.md -1", 1): "line 3: file a.md: size -1",
		strings.Replace(string(good), "b.bpfs", "a.md", 1):    "line 6: file a.md twice",
		string(good) + "junk":                                 "line 8: want \"file NAME SIZE\"",
	}
	for in, want := range cases {
		b, err := ParseBundle(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBundle(%q) = %v, %v; want an error containing %q", in, b, err, want)
		}
	}
	for _, bad := range []Bundle{{Dir: ""}, {Dir: "a b"}, {Dir: "x", Files: map[string]string{"a\nb": ""}}} {
		if _, err := bad.MarshalText(); err == nil {
			t.Errorf("MarshalText(%+v) gave no error", bad)
		}
	}
}
