//go:build linux

package sim_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// createRow is one BPF_MAP_CREATE case run on both sides.
type createRow struct {
	name string
	attr sim.MapAttr
	// inner, when set, is created first on both sides and its fd is
	// passed as inner_map_fd. innerFD overrides it with a raw fd number
	// (the same on both sides: 9999 is closed in both).
	inner   *sim.MapAttr
	innerFD int
}

// baseAttr is a valid create attribute for each map type the tests know.
func baseAttr(t sim.MapType) (sim.MapAttr, bool) {
	a := sim.MapAttr{Name: "m", Type: t, KeySize: 4, ValueSize: 8, MaxEntries: 4}
	switch t {
	case sim.MapHash, sim.MapPercpuHash, sim.MapLRUHash, sim.MapLRUPercpuHash:
		a.Flags = sim.FlagZeroSeed
	case sim.MapArray, sim.MapPercpuArray:
	case sim.MapProgArray, sim.MapPerfEventArray, sim.MapCgroupArray:
		a.ValueSize = 4
	case sim.MapLPMTrie:
		a.KeySize, a.Flags = 8, sim.FlagNoPrealloc
	case sim.MapQueue, sim.MapStack:
		a.KeySize = 0
	case sim.MapBloomFilter:
		a.KeySize, a.MapExtra = 0, 3
	case sim.MapRingbuf, sim.MapUserRingbuf:
		a.KeySize, a.ValueSize, a.MaxEntries = 0, 0, 4096
	case sim.MapArrayOfMaps, sim.MapHashOfMaps:
		a.ValueSize = 4
	case sim.MapStackTrace:
		a.ValueSize, a.MaxEntries = 128, 4
	default:
		return a, false
	}
	return a, true
}

var innerHash = sim.MapAttr{Name: "inner", Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 4, Flags: sim.FlagZeroSeed}

func createRows() []createRow {
	var rows []createRow
	add := func(name string, a sim.MapAttr) { rows = append(rows, createRow{name: name, attr: a}) }
	with := func(a sim.MapAttr, f func(*sim.MapAttr)) sim.MapAttr { f(&a); return a }
	for ty := sim.MapType(1); ty < 34; ty++ {
		base, ok := baseAttr(ty)
		if !ok || !sim.Simulated(ty) {
			continue
		}
		inMap := ty == sim.MapArrayOfMaps || ty == sim.MapHashOfMaps
		row := func(name string, f func(*sim.MapAttr)) {
			r := createRow{name: fmt.Sprintf("%s %s", ty, name), attr: with(base, f)}
			if inMap {
				in := innerHash
				r.inner = &in
			}
			rows = append(rows, r)
		}
		// Generic rows (§2.2 steps 3, 4, 5, 9 and the flag checks).
		row("base", func(a *sim.MapAttr) {})
		row("map_extra=1", func(a *sim.MapAttr) { a.MapExtra = 1 })
		row("rdonly|wronly", func(a *sim.MapAttr) { a.Flags |= sim.FlagRdonly | sim.FlagWronly })
		row("rdonly", func(a *sim.MapAttr) { a.Flags |= sim.FlagRdonly })
		row("wronly", func(a *sim.MapAttr) { a.Flags |= sim.FlagWronly })
		row("rdonly_prog", func(a *sim.MapAttr) { a.Flags |= sim.FlagRdonlyProg })
		row("rdonly_prog|wronly_prog", func(a *sim.MapAttr) { a.Flags |= sim.FlagRdonlyProg | sim.FlagWronlyProg })
		row("flags 1<<30", func(a *sim.MapAttr) { a.Flags |= 1 << 30 })
		row("flags 1<<19", func(a *sim.MapAttr) { a.Flags |= 1 << 19 })
		row("no_prealloc", func(a *sim.MapAttr) { a.Flags |= sim.FlagNoPrealloc })
		row("no_common_lru", func(a *sim.MapAttr) { a.Flags |= sim.FlagNoCommonLRU })
		row("zero_seed", func(a *sim.MapAttr) { a.Flags |= sim.FlagZeroSeed })
		row("mmapable", func(a *sim.MapAttr) { a.Flags |= sim.FlagMmapable })
		row("inner_map", func(a *sim.MapAttr) { a.Flags |= sim.FlagInnerMap })
		row("preserve_elems", func(a *sim.MapAttr) { a.Flags |= sim.FlagPreserveElems })
		row("numa_node", func(a *sim.MapAttr) { a.Flags |= sim.FlagNumaNode })
		row("name bad-name!", func(a *sim.MapAttr) { a.Name = "bad-name!" })
		row("name 16 chars", func(a *sim.MapAttr) { a.Name = "abcdefghijklmnop" })
		row("name 15 chars", func(a *sim.MapAttr) { a.Name = "abcdefghijklmno" })
		row("name good_name.x", func(a *sim.MapAttr) { a.Name = "good_name.x" })
		row("name empty", func(a *sim.MapAttr) { a.Name = "" })
		row("key 0", func(a *sim.MapAttr) { a.KeySize = 0 })
		row("key 4", func(a *sim.MapAttr) { a.KeySize = 4 })
		row("key 8", func(a *sim.MapAttr) { a.KeySize = 8 })
		row("value 0", func(a *sim.MapAttr) { a.ValueSize = 0 })
		row("value 4", func(a *sim.MapAttr) { a.ValueSize = 4 })
		row("value 8", func(a *sim.MapAttr) { a.ValueSize = 8 })
		row("max 0", func(a *sim.MapAttr) { a.MaxEntries = 0 })
		row("max 1", func(a *sim.MapAttr) { a.MaxEntries = 1 })
		row("max 9", func(a *sim.MapAttr) { a.MaxEntries = 9 })
		switch ty {
		case sim.MapHash, sim.MapPercpuHash, sim.MapLRUHash, sim.MapLRUPercpuHash:
			row("key 512 max 1", func(a *sim.MapAttr) { a.KeySize, a.MaxEntries = 512, 1 })
			row("key 513 max 1", func(a *sim.MapAttr) { a.KeySize, a.MaxEntries = 513, 1 })
			row("key 4 value 4194251 max 1", func(a *sim.MapAttr) { a.ValueSize, a.MaxEntries = 4194251, 1 })
			row("key 4 value 4194252 max 1", func(a *sim.MapAttr) { a.ValueSize, a.MaxEntries = 4194252, 1 })
			row("key 4194252 value 4", func(a *sim.MapAttr) { a.KeySize, a.ValueSize, a.MaxEntries = 4194252, 4, 1 })
			row("value 32768 max 1", func(a *sim.MapAttr) { a.ValueSize, a.MaxEntries = 32768, 1 })
			row("value 32769 max 1", func(a *sim.MapAttr) { a.ValueSize, a.MaxEntries = 32769, 1 })
			row("value 32761 max 1", func(a *sim.MapAttr) { a.ValueSize, a.MaxEntries = 32761, 1 })
			row("max 2^28+1 no_prealloc", func(a *sim.MapAttr) { a.MaxEntries, a.Flags = 1<<28+1, a.Flags|sim.FlagNoPrealloc })
			row("max 2^27+1 no_prealloc", func(a *sim.MapAttr) { a.MaxEntries, a.Flags = 1<<27+1, a.Flags|sim.FlagNoPrealloc })
			row("max 2^31", func(a *sim.MapAttr) { a.MaxEntries = 1 << 31 })
			row("max 2^31+1", func(a *sim.MapAttr) { a.MaxEntries = 1<<31 + 1 })
			row("max 0xffffffff", func(a *sim.MapAttr) { a.MaxEntries = 0xffffffff })
			row("no_common_lru max 1", func(a *sim.MapAttr) { a.Flags, a.MaxEntries = a.Flags|sim.FlagNoCommonLRU, 1 })
			row("no_common_lru max 3", func(a *sim.MapAttr) { a.Flags, a.MaxEntries = a.Flags|sim.FlagNoCommonLRU, 3 })
			row("no_common_lru|no_prealloc", func(a *sim.MapAttr) { a.Flags |= sim.FlagNoCommonLRU | sim.FlagNoPrealloc })
			row("no_common_lru|numa_node", func(a *sim.MapAttr) { a.Flags |= sim.FlagNoCommonLRU | sim.FlagNumaNode })
			row("no_common_lru max 0xffffffff", func(a *sim.MapAttr) { a.Flags, a.MaxEntries = a.Flags|sim.FlagNoCommonLRU, 0xffffffff })
			row("no seed flag", func(a *sim.MapAttr) { a.Flags &^= sim.FlagZeroSeed })
		case sim.MapArray, sim.MapPercpuArray:
			row("value 2^31", func(a *sim.MapAttr) { a.ValueSize = 1 << 31 })
			row("value 0xffffffff", func(a *sim.MapAttr) { a.ValueSize = 0xffffffff })
			row("value 32768 max 1", func(a *sim.MapAttr) { a.ValueSize, a.MaxEntries = 32768, 1 })
			row("value 32769 max 1", func(a *sim.MapAttr) { a.ValueSize, a.MaxEntries = 32769, 1 })
			row("mmapable|rdonly_prog", func(a *sim.MapAttr) { a.Flags |= sim.FlagMmapable | sim.FlagRdonlyProg })
			row("mmapable|inner_map", func(a *sim.MapAttr) { a.Flags |= sim.FlagMmapable | sim.FlagInnerMap })
			row("key 3", func(a *sim.MapAttr) { a.KeySize = 3 })
		case sim.MapLPMTrie:
			row("flags 0", func(a *sim.MapAttr) { a.Flags = 0 })
			row("key 5", func(a *sim.MapAttr) { a.KeySize = 5 })
			row("key 260", func(a *sim.MapAttr) { a.KeySize = 260 })
			row("key 261", func(a *sim.MapAttr) { a.KeySize = 261 })
			row("value 4194024", func(a *sim.MapAttr) { a.ValueSize = 4194024 })
			row("value 4194025", func(a *sim.MapAttr) { a.ValueSize = 4194025 })
			row("no_prealloc|zero_seed", func(a *sim.MapAttr) { a.Flags |= sim.FlagZeroSeed })
			row("no_prealloc|rdonly_prog", func(a *sim.MapAttr) { a.Flags |= sim.FlagRdonlyProg })
		case sim.MapQueue, sim.MapStack:
			row("value 4194304 max 1", func(a *sim.MapAttr) { a.ValueSize, a.MaxEntries = 4194304, 1 })
			row("value 4194305 max 1", func(a *sim.MapAttr) { a.ValueSize, a.MaxEntries = 4194305, 1 })
			row("value 0xffffffff", func(a *sim.MapAttr) { a.ValueSize = 0xffffffff })
		case sim.MapBloomFilter:
			for _, x := range []uint64{0, 1, 15, 16, 17, 1 << 32} {
				row(fmt.Sprintf("map_extra %d", x), func(a *sim.MapAttr) { a.MapExtra = x })
			}
			row("value 4194304", func(a *sim.MapAttr) { a.ValueSize = 4194304 })
		case sim.MapRingbuf, sim.MapUserRingbuf:
			for _, x := range []uint32{1024, 4095, 8192, 12288, 65536} {
				row(fmt.Sprintf("max %d", x), func(a *sim.MapAttr) { a.MaxEntries = x })
			}
			row("key 0 value 0 max 0", func(a *sim.MapAttr) { a.MaxEntries = 0 })
		case sim.MapProgArray:
			row("value 8 rdonly_prog", func(a *sim.MapAttr) { a.Flags |= sim.FlagRdonlyProg })
			row("wronly_prog", func(a *sim.MapAttr) { a.Flags |= sim.FlagWronlyProg })
		}
		if inMap {
			r := createRow{name: fmt.Sprintf("%s no inner fd", ty), attr: base}
			rows = append(rows, r)
			r = createRow{name: fmt.Sprintf("%s closed inner fd", ty), attr: base, innerFD: 9999}
			rows = append(rows, r)
			for _, inner := range []sim.MapAttr{
				{Name: "in", Type: sim.MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 1},
				{Name: "in", Type: sim.MapLRUHash, KeySize: 4, ValueSize: 4, MaxEntries: 8},
				{Name: "in", Type: sim.MapQueue, ValueSize: 4, MaxEntries: 8},
				{Name: "in", Type: sim.MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 1, Flags: sim.FlagInnerMap},
				{Name: "in", Type: sim.MapRingbuf, MaxEntries: 4096},
				{Name: "in", Type: sim.MapLPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 4, Flags: sim.FlagNoPrealloc},
				{Name: "in", Type: sim.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 1},
			} {
				if !sim.Simulated(inner.Type) {
					continue
				}
				in := inner
				rows = append(rows, createRow{name: fmt.Sprintf("%s inner %s flags %s", ty, in.Type, sim.FormatMapFlags(in.Flags)), attr: base, inner: &in})
			}
		}
	}
	add("type 0", sim.MapAttr{Type: 0, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	add("type 34", sim.MapAttr{Type: 34, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	add("type 9999", sim.MapAttr{Type: 9999, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	return rows
}

// runCreateRow creates the map on both sides and compares errnos and
// max_entries. It returns a mismatch description or "".
func runCreateRow(r createRow) string {
	w := sim.NewWorld(sim.Config{PossibleCPUs: kernel.PossibleCPUs()})
	ka := kernel.AttrFromSim(r.attr, 0)
	sa := r.attr
	if r.innerFD != 0 {
		ka.InnerMapFD, sa.InnerMapFD = r.innerFD, r.innerFD
	}
	if r.inner != nil {
		ki, ke := kernel.CreateMap(kernel.AttrFromSim(*r.inner, 0))
		si, se := w.CreateMap(*r.inner)
		if kernel.ToSim(ke) != se {
			return fmt.Sprintf("inner create: kernel %v, sim %v", kernel.ToSim(ke), se)
		}
		if ke != 0 {
			return ""
		}
		defer ki.Close()
		ka.InnerMapFD, sa.InnerMapFD = ki.FD, si.FD
	}
	km, ke := kernel.CreateMap(ka)
	if km != nil {
		defer km.Close()
	}
	sm, se := w.CreateMap(sa)
	if kernel.ToSim(ke) != se {
		return fmt.Sprintf("kernel %v, sim %v", kernel.ToSim(ke), se)
	}
	if ke == 0 && km.MaxEntries != sm.MaxEntries {
		return fmt.Sprintf("max_entries: kernel %d, sim %d", km.MaxEntries, sm.MaxEntries)
	}
	return ""
}

// TestOracleCreateErrors runs every create row of kernel-semantics §2.2 and
// kernel-oracle §1 for the types the simulator registers, on both sides.
func TestOracleCreateErrors(t *testing.T) {
	kernel.Require(t)
	rows := createRows()
	bad := 0
	for _, r := range rows {
		if msg := runCreateRow(r); msg != "" {
			bad++
			a := r.attr
			t.Errorf("create %s (type=%d key=%d value=%d max=%d flags=%s map_extra=%d name=%q): %s",
				r.name, uint32(a.Type), a.KeySize, a.ValueSize, a.MaxEntries, sim.FormatMapFlags(a.Flags), a.MapExtra, a.Name, msg)
		}
	}
	line := fmt.Sprintf("kernel oracle create errors: %d rows compared, %d mismatching", len(rows), bad)
	t.Log(line)
	if testing.Verbose() {
		fmt.Println("ORACLE " + line)
	}
}

// createMemoryEstimate is a generous upper bound of what the kernel would
// allocate for a create, so that the fuzz never makes it allocate much.
func createMemoryEstimate(a sim.MapAttr, ncpu uint64) uint64 {
	r8 := func(v uint32) uint64 { return (uint64(v) + 7) &^ 7 }
	max := uint64(a.MaxEntries)
	pow2 := uint64(1)
	for pow2 < max && pow2 < 1<<40 {
		pow2 <<= 1
	}
	switch a.Type {
	case sim.MapHash, sim.MapLRUHash, sim.MapHashOfMaps:
		return pow2*16 + (max+ncpu)*(r8(a.KeySize)+r8(a.ValueSize)+96)
	case sim.MapPercpuHash, sim.MapLRUPercpuHash:
		return pow2*16 + (max+ncpu)*(r8(a.KeySize)+96+r8(a.ValueSize)*ncpu)
	case sim.MapArray, sim.MapProgArray, sim.MapArrayOfMaps:
		return pow2 * (r8(a.ValueSize) + 8)
	case sim.MapPercpuArray:
		return pow2 * (r8(a.ValueSize)*ncpu + 8)
	case sim.MapQueue, sim.MapStack:
		return (max + 1) * uint64(a.ValueSize)
	case sim.MapBloomFilter:
		return 1 << 29 // the bit array may be capped at 2^32 bits: check below
	case sim.MapRingbuf:
		return 2 * max
	case sim.MapLPMTrie:
		return 4096
	}
	return 1 << 40
}

// TestOracleCreateFuzz creates maps with random attributes (several bad
// ones at once, so the order of the kernel's checks shows) on both sides
// and compares the errno and max_entries. Attributes whose allocation could
// be large are left out.
func TestOracleCreateFuzz(t *testing.T) {
	kernel.Require(t)
	var types []sim.MapType
	for ty := sim.MapType(1); ty < 34; ty++ {
		if sim.Simulated(ty) {
			types = append(types, ty)
		}
	}
	ncpu := uint64(kernel.PossibleCPUs())
	sizes := []uint32{0, 1, 3, 4, 5, 8, 12, 16, 20, 255, 256, 260, 261, 512, 513, 4096, 32760, 32768, 32769, 65536,
		4194024, 4194025, 4194251, 4194252, 4194304, 4194305, 1 << 31, 0xffffffff}
	maxes := []uint32{0, 1, 2, 3, 4, 7, 8, 9, 100, 1024, 4096, 8192, 12288, 65536, 1 << 20, 1<<27 + 1, 1 << 28, 1<<31 + 1, 0xffffffff}
	flagBits := []uint32{sim.FlagNoPrealloc, sim.FlagNoCommonLRU, sim.FlagNumaNode, sim.FlagRdonly, sim.FlagWronly,
		sim.FlagStackBuildID, sim.FlagZeroSeed, sim.FlagRdonlyProg, sim.FlagWronlyProg, sim.FlagClone, sim.FlagMmapable,
		sim.FlagPreserveElems, sim.FlagInnerMap, sim.FlagLink, sim.FlagPathFD, sim.FlagVtypeBTFObjFD, sim.FlagTokenFD,
		sim.FlagSegvOnFault, sim.FlagNoUserConv, 1 << 19, 1 << 31}
	n := 10000
	if testing.Short() {
		n = 1000
	}
	names := []string{"", "m", "a.b_c", "abcdefghijklmno", "abcdefghijklmnop", "bad-name", "x y", "é"}
	compared, skipped, bad := 0, 0, 0
	for seed := uint64(1); seed <= uint64(n); seed++ {
		r := rand.New(rand.NewPCG(seed, 77))
		base, _ := baseAttr(types[r.IntN(len(types))])
		a := base
		// Change 1 to 3 attributes.
		for c := 1 + r.IntN(3); c > 0; c-- {
			switch r.IntN(7) {
			case 6:
				a.Name = names[r.IntN(len(names))]
			case 0:
				a.KeySize = sizes[r.IntN(len(sizes))]
			case 1:
				a.ValueSize = sizes[r.IntN(len(sizes))]
			case 2:
				a.MaxEntries = maxes[r.IntN(len(maxes))]
			case 3:
				a.Flags ^= flagBits[r.IntN(len(flagBits))]
			case 4:
				a.MapExtra = []uint64{0, 1, 3, 15, 16, 1 << 32}[r.IntN(6)]
			case 5:
				a.Flags = 0
				for _, f := range flagBits {
					if r.IntN(8) == 0 {
						a.Flags |= f
					}
				}
			}
		}
		if a.Type == sim.MapBloomFilter && uint64(a.MaxEntries)*16 > 1<<24 {
			skipped++ // the bit array could be large
			continue
		}
		if createMemoryEstimate(a, ncpu) > 64<<20 {
			skipped++
			continue
		}
		row := createRow{name: fmt.Sprintf("fuzz seed %d", seed), attr: a}
		if a.Type == sim.MapArrayOfMaps || a.Type == sim.MapHashOfMaps {
			in := innerHash
			if r.IntN(2) == 0 {
				in, _ = baseAttr(types[r.IntN(len(types))])
				if r.IntN(3) == 0 {
					in.Flags ^= flagBits[r.IntN(len(flagBits))]
				}
			}
			row.inner = &in
		}
		compared++
		if msg := runCreateRow(row); msg != "" {
			bad++
			if bad <= maxReports {
				t.Errorf("create %s (type=%s key=%d value=%d max=%d flags=%s map_extra=%d): %s",
					row.name, a.Type, a.KeySize, a.ValueSize, a.MaxEntries, sim.FormatMapFlags(a.Flags), a.MapExtra, msg)
			}
		}
	}
	line := fmt.Sprintf("kernel oracle create fuzz: %d creates compared (%d left out as possibly large), %d mismatching", compared, skipped, bad)
	t.Log(line)
	if testing.Verbose() {
		fmt.Println("ORACLE " + line)
	}
}
