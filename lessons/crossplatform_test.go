package lessons

import (
	"bufio"

	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/sim/scenario"
)

// TestTraceHashSameNativeAndWasm checks determinism across platforms: every
// lesson and every testdata scenario must give the same trace, byte for
// byte, natively and under GOOS=js. `make test` runs the native tests first
// with BPFPLAY_TRACE_HASHES=FILE, which writes the digests; the wasm run
// (in node) reads the same file and compares. Without the variable the test
// only checks that two native runs agree.
func TestTraceHashSameNativeAndWasm(t *testing.T) {
	got := traceHashes(t)
	path := os.Getenv("BPFPLAY_TRACE_HASHES")
	if path == "" {
		again := traceHashes(t)
		for name, h := range got {
			if again[name] != h {
				t.Errorf("%s: two runs gave different traces", name)
			}
		}
		return
	}
	if runtime.GOOS != "js" {
		var lines []string
		for name, h := range got {
			lines = append(lines, name+" "+h)
		}
		sort.Strings(lines)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d native trace digests to %s", len(lines), path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the native run's digests are missing (run the native tests first): %v", err)
	}
	defer f.Close()
	native := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, h, ok := strings.Cut(sc.Text(), " "); ok {
			native[name] = h
		}
	}
	if len(native) != len(got) {
		t.Errorf("native run hashed %d scenarios, wasm %d", len(native), len(got))
	}
	for name, h := range got {
		if native[name] != h {
			t.Errorf("%s: wasm trace %s differs from native %s", name, h[:12], native[name])
		}
	}
	t.Logf("%d traces identical natively and under %s/%s", len(got), runtime.GOOS, runtime.GOARCH)
}

// traceHashes runs every lesson and every testdata/**/*.bpfs scenario.
func traceHashes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	run := func(name, src string) {
		s, err := scenario.Parse(name, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = scenario.Run(s, scenario.Options{}).Hash()
	}
	for _, l := range mustAll(t) {
		run("lesson/"+l.ID, l.Script)
	}
	files, err := filepath.Glob("../testdata/*/*.bpfs")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata scenarios found (%v)", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		run(filepath.ToSlash(f), string(src))
	}
	return out
}
