package browsertest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/lessons"
)

// TestAppWasmLeavesOut guards the size work of RATIONALE.md ("The browser
// build"): app.wasm carries no lesson text (the site serves it) and none of
// the ELF, DWARF and zstd readers that cilium/ebpf's kernel-version
// detection would link (the stubs keep them out). Their type names would
// show in the module's data even with -s -w.
func TestAppWasmLeavesOut(t *testing.T) {
	wasm, err := os.ReadFile(filepath.Join(siteDirectory(t), "web", "app.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"internal/zstd", "debug/elf", "debug/dwarf"} {
		if bytes.Contains(wasm, []byte(name)) {
			t.Errorf("app.wasm links %s (are the cilium stubs in scripts/build-wasm.sh used?)", name)
		}
	}
	all, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		for lang, text := range l.Text {
			// A sentence long enough to be unique to the lesson text.
			for _, para := range strings.Split(text.Intro, "\n") {
				if len(para) < 60 {
					continue
				}
				if bytes.Contains(wasm, []byte(para[:60])) {
					t.Errorf("app.wasm embeds the text of lesson %s (%s)", l.ID, lang)
				}
				break
			}
		}
	}
}
