package web

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
)

// TestEveryStringInEveryLanguage fails when a UI string exists in one
// language only, or is empty.
func TestEveryStringInEveryLanguage(t *testing.T) {
	for lang, table := range messages {
		for other, otherTable := range messages {
			for k := range table {
				if _, ok := otherTable[k]; !ok {
					t.Errorf("%q exists in %s but not in %s", k, lang, other)
				}
			}
		}
		for k, v := range table {
			if v == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
		}
	}
}

// TestEveryUsedKeyIsTranslated reads the package's sources for a.t("key")
// and T(lang, "key") and checks each key is in every table, so a new string
// cannot ship in English only.
func TestEveryUsedKeyIsTranslated(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`(?:\ba\.t|\bT\([^,()]+,)\(?\s*"([A-Za-z0-9]+)"`)
	used := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			used[string(m[1])] = true
		}
	}
	if len(used) < 20 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	var keys []string
	for k := range used {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for lang, table := range messages {
			if _, ok := table[k]; !ok {
				t.Errorf("key %q is used but missing in %s", k, lang)
			}
		}
	}
}
