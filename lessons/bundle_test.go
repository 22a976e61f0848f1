package lessons

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestBundlesParseLikeTheEmbeddedContent: what the browser parses (a Bundle
// after a JSON round trip, as the site serves it) is the lesson the CLI and
// the tests parse from the embedded content.
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
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var back Bundle
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
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
