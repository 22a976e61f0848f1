package bpfasm

import (
	"strings"
	"sync"
	"unicode"

	"github.com/cilium/ebpf/asm"
)

// Helper names as the kernel spells them ("bpf_map_lookup_elem"), derived
// from cilium/ebpf's BuiltinFunc names ("FnMapLookupElem"). The tables are
// built on first use, not at start-up: the browser app starts faster when
// the page it opens assembles no program.
var (
	helperOnce   sync.Once
	helperByName map[string]int32
	helperName   map[int32]string
)

func helperTables() {
	helperByName, helperName = map[string]int32{}, map[int32]string{}
	for id := int32(1); id < 512; id++ {
		s := asm.BuiltinFunc(id).String()
		if !strings.HasPrefix(s, "Fn") {
			continue
		}
		name := "bpf_" + snake(s[2:])
		helperByName[name] = id
		helperName[id] = name
	}
}

// snake turns "L3CsumReplace" into "l3_csum_replace".
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// HelperName returns the kernel name of helper id ("bpf_map_lookup_elem"),
// or "" when unknown.
func HelperName(id int32) string {
	helperOnce.Do(helperTables)
	return helperName[id]
}

// HelperID returns the id of the helper named name (with or without the
// "bpf_" prefix).
func HelperID(name string) (int32, bool) {
	if !strings.HasPrefix(name, "bpf_") {
		name = "bpf_" + name
	}
	helperOnce.Do(helperTables)
	id, ok := helperByName[name]
	return id, ok
}
