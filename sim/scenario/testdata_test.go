package scenario

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every scenario under testdata/ (all directories: hash, array, lru, lpm,
// queue, ringbuf, tailcall, ...) runs without a script error and with every
// "=>" expectation met.
func TestTestdataScenarios(t *testing.T) {
	root := filepath.Join("..", "..", "testdata")
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".bpfs") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	if len(files) == 0 {
		t.Fatalf("no .bpfs files under %s", root)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(filepath.ToSlash(rel), string(src))
			if err != nil {
				t.Fatalf("parse:\n%v", err)
			}
			tr := Run(s, Options{NoEvents: true})
			checked := 0
			for _, st := range tr.Steps {
				switch {
				case st.Err != nil:
					t.Errorf("%v", st.Err)
				case st.Failed:
					t.Errorf("%s:%d: %s: expected %s, got %s", rel, st.Line, st.Text, st.Expect, st.Got)
				case st.Expect != "":
					checked++
				}
			}
			if checked == 0 && !t.Failed() {
				t.Errorf("%s has no => expectations", rel)
			}
		})
	}
}
