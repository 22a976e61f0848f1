package sim

import (
	"encoding/binary"
	"testing"
)

func mimFD(fd int) []byte { return qsVal(uint32(fd)) }

func mimCreate(t testing.TB, w *World, a MapAttr) *Map {
	t.Helper()
	m, e := w.CreateMap(a)
	if e != OK {
		t.Fatalf("create %s (%v): %v", a.Name, a.Type, e)
	}
	return m
}

func TestMapInMapCreateErrnos(t *testing.T) {
	w := NewWorld(Config{})
	inner := mimCreate(t, w, MapAttr{Name: "in", Type: MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	pa := mimCreate(t, w, MapAttr{Name: "pa", Type: MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	aom := mimCreate(t, w, MapAttr{Name: "aom", Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMapFD: inner.FD})
	cases := []struct {
		name  string
		a     MapAttr
		errno Errno
	}{
		{"aom ok", MapAttr{Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMapFD: inner.FD}, OK},
		{"hom ok", MapAttr{Type: MapHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMapFD: inner.FD}, OK},
		{"aom without inner fd", MapAttr{Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4}, EINVAL},
		{"hom without inner fd", MapAttr{Type: MapHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4}, EINVAL},
		{"aom value 8", MapAttr{Type: MapArrayOfMaps, KeySize: 4, ValueSize: 8, MaxEntries: 4, InnerMapFD: inner.FD}, EINVAL},
		{"hom value 8", MapAttr{Type: MapHashOfMaps, KeySize: 4, ValueSize: 8, MaxEntries: 4, InnerMapFD: inner.FD}, EINVAL},
		{"aom key 8", MapAttr{Type: MapArrayOfMaps, KeySize: 8, ValueSize: 4, MaxEntries: 4, InnerMapFD: inner.FD}, EINVAL},
		{"aom rdonly_prog", MapAttr{Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, Flags: FlagRdonlyProg, InnerMapFD: inner.FD}, EINVAL},
		{"hom max 0", MapAttr{Type: MapHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 0, InnerMapFD: inner.FD}, EINVAL},
		{"inner fd closed", MapAttr{Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMapFD: 9999}, EBADF},
		{"inner is map-in-map", MapAttr{Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMapFD: aom.FD}, EINVAL},
		{"inner is prog_array", MapAttr{Type: MapHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMapFD: pa.FD}, ENOTSUPP},
	}
	for _, c := range cases {
		if _, e := w.CreateMap(c.a); e != c.errno {
			t.Errorf("%s: %v, want %v", c.name, e, c.errno)
		}
	}
}

func TestArrayOfMaps(t *testing.T) {
	w := NewWorld(Config{})
	var swaps []InnerSwapEvent
	w.SetSink(func(e Event) {
		if s, ok := e.(InnerSwapEvent); ok {
			swaps = append(swaps, s)
		}
	})
	tmpl := mimCreate(t, w, MapAttr{Name: "tmpl", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	a := mimCreate(t, w, MapAttr{Name: "a", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	b := mimCreate(t, w, MapAttr{Name: "b", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	big := mimCreate(t, w, MapAttr{Name: "big", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 3})
	h := mimCreate(t, w, MapAttr{Name: "h", Type: MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	o := mimCreate(t, w, MapAttr{Name: "outer", Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 3, InnerMapFD: tmpl.FD})

	if _, e := o.Lookup(qsVal(0), 0); e != ENOENT {
		t.Fatalf("empty slot lookup: %v", e)
	}
	if e := o.Update(qsVal(0), mimFD(a.FD), 0); e != OK {
		t.Fatal(e)
	}
	if v, e := o.Lookup(qsVal(0), 0); e != OK || binary.LittleEndian.Uint32(v) != a.ID {
		t.Fatalf("lookup returns the inner map's ID: %v %v (id %d)", v, e, a.ID)
	}
	if m, e := o.ProgLookupInner(qsVal(0)); e != OK || m != a {
		t.Fatalf("ProgLookupInner: %v %v", m, e)
	}
	if m, e := o.ProgLookupInner(qsVal(1)); e != ENOENT || m != nil {
		t.Fatalf("ProgLookupInner on empty: %v %v", m, e)
	}
	errs := []struct {
		name  string
		key   uint32
		val   []byte
		flags uint64
		want  Errno
	}{
		{"NOEXIST", 1, mimFD(b.FD), UpdateNoExist, EINVAL},
		{"EXIST", 1, mimFD(b.FD), UpdateExist, EINVAL},
		{"index 3", 3, mimFD(b.FD), 0, E2BIG},
		{"closed fd", 1, mimFD(9999), 0, EBADF},
		{"max_entries differs (ARRAY template)", 1, mimFD(big.FD), 0, EINVAL},
		{"type differs", 1, mimFD(h.FD), 0, EINVAL},
	}
	for _, c := range errs {
		if e := o.Update(qsVal(c.key), c.val, c.flags); e != c.want {
			t.Errorf("%s: %v, want %v", c.name, e, c.want)
		}
	}
	swaps = nil
	if e := o.Update(qsVal(0), mimFD(b.FD), 0); e != OK {
		t.Fatal(e)
	}
	if len(swaps) != 1 || swaps[0].OldID != a.ID || swaps[0].NewID != b.ID || swaps[0].OldName != "a" || swaps[0].NewName != "b" {
		t.Fatalf("swap event %+v", swaps)
	}
	if k, e := o.GetNextKey(nil); e != OK || binary.LittleEndian.Uint32(k) != 0 {
		t.Fatal(k, e)
	}
	if _, e := o.GetNextKey(qsVal(2)); e != ENOENT {
		t.Fatal(e)
	}
	if _, e := o.LookupAndDelete(qsVal(0), 0); e != ENOTSUPP {
		t.Fatal(e)
	}
	if e := o.Delete(qsVal(0)); e != OK {
		t.Fatal(e)
	}
	if e := o.Delete(qsVal(0)); e != ENOENT {
		t.Fatalf("delete empty: %v", e)
	}
	if e := o.Delete(qsVal(5)); e != E2BIG {
		t.Fatalf("delete out of range: %v", e)
	}

	// BPF_F_INNER_MAP on the template lets arrays of any size in.
	tmpl2 := mimCreate(t, w, MapAttr{Name: "t2", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1, Flags: FlagInnerMap})
	big2 := mimCreate(t, w, MapAttr{Name: "big2", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 100, Flags: FlagInnerMap})
	o2 := mimCreate(t, w, MapAttr{Name: "o2", Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1, InnerMapFD: tmpl2.FD})
	if e := o2.Update(qsVal(0), mimFD(big2.FD), 0); e != OK {
		t.Fatalf("INNER_MAP template: %v", e)
	}
	if e := o2.Update(qsVal(0), mimFD(a.FD), 0); e != EINVAL {
		t.Fatalf("flags differ: %v", e)
	}
	// [LIVE 6.18.44 map-only probe] a PERCPU_ARRAY template compares
	// max_entries too.
	tp := mimCreate(t, w, MapAttr{Name: "tp", Type: MapPercpuArray, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	bp := mimCreate(t, w, MapAttr{Name: "bp", Type: MapPercpuArray, KeySize: 4, ValueSize: 8, MaxEntries: 5})
	o3 := mimCreate(t, w, MapAttr{Name: "o3", Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1, InnerMapFD: tp.FD})
	if e := o3.Update(qsVal(0), mimFD(bp.FD), 0); e != EINVAL {
		t.Fatalf("percpu_array of another size: %v", e)
	}
	// RDONLY/WRONLY belong to the fd, not the map: they are not compared
	// (seen in the kernel-oracle differential test).
	ro := mimCreate(t, w, MapAttr{Name: "ro", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2, Flags: FlagWronly})
	if e := o.Update(qsVal(2), mimFD(ro.FD), 0); e != OK {
		t.Fatalf("wronly inner map: %v", e)
	}
	// [LIVE] order of checks: index before fd, fd before meta.
	if e := o.Update(qsVal(3), mimFD(9999), 0); e != E2BIG {
		t.Fatalf("index 3 with a bad fd: %v", e)
	}
	if e := o.Update(qsVal(3), mimFD(a.FD), UpdateNoExist); e != EINVAL {
		t.Fatalf("index 3 with NOEXIST: %v", e)
	}
}

func TestHashOfMaps(t *testing.T) {
	w := NewWorld(Config{})
	tmpl := mimCreate(t, w, MapAttr{Name: "tmpl", Type: MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 4})
	small := mimCreate(t, w, MapAttr{Name: "small", Type: MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	other := mimCreate(t, w, MapAttr{Name: "other", Type: MapHash, KeySize: 8, ValueSize: 8, MaxEntries: 4})
	o := mimCreate(t, w, MapAttr{Name: "outer", Type: MapHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, Flags: FlagZeroSeed, InnerMapFD: tmpl.FD})

	// A hash template does not compare max_entries.
	if e := o.Update(qsVal(5), mimFD(small.FD), UpdateNoExist); e != OK {
		t.Fatalf("different max_entries for a hash inner map: %v", e)
	}
	if e := o.Update(qsVal(5), mimFD(tmpl.FD), UpdateNoExist); e != EEXIST {
		t.Fatal(e)
	}
	if e := o.Update(qsVal(6), mimFD(tmpl.FD), UpdateExist); e != ENOENT {
		t.Fatal(e)
	}
	if e := o.Update(qsVal(6), mimFD(other.FD), 0); e != EINVAL {
		t.Fatalf("key size differs: %v", e)
	}
	if e := o.Update(qsVal(6), mimFD(9999), 0); e != EBADF {
		t.Fatal(e)
	}
	// [LIVE] the fd is resolved before the flags are checked.
	if e := o.Update(qsVal(6), mimFD(9999), 3); e != EBADF {
		t.Fatalf("bad fd with flags 3: %v", e)
	}
	if e := o.Update(qsVal(6), mimFD(tmpl.FD), UpdateLock); e != EINVAL {
		t.Fatal(e)
	}
	if e := o.Update(qsVal(6), mimFD(tmpl.FD), 0); e != OK {
		t.Fatal(e)
	}
	if e := o.Update(qsVal(7), mimFD(tmpl.FD), 0); e != E2BIG {
		t.Fatalf("full: %v", e)
	}
	if v, e := o.Lookup(qsVal(5), 0); e != OK || binary.LittleEndian.Uint32(v) != small.ID {
		t.Fatal(v, e)
	}
	if m, e := o.ProgLookupInner(qsVal(6)); e != OK || m != tmpl {
		t.Fatal(m, e)
	}
	// Replacing keeps the walk order (in-place update).
	walk := func() []uint32 {
		var out []uint32
		var k []byte
		for {
			nk, e := o.GetNextKey(k)
			if e != OK {
				return out
			}
			out = append(out, binary.LittleEndian.Uint32(nk))
			k = nk
		}
	}
	before := walk()
	if len(before) != 2 {
		t.Fatalf("walk %v", before)
	}
	// Keys 5 and 6 share bucket 0 of 2 (§3.3 hashes 0xf5a8a9b6, 0x421eac7e),
	// newest first: 6 then 5. Re-pointing 5 in place keeps that order; a
	// move-to-head update (plain HASH) would give 5 then 6.
	if before[0] != 6 || before[1] != 5 {
		t.Fatalf("walk %v, want [6 5]", before)
	}
	last := before[len(before)-1]
	if e := o.Update(qsVal(last), mimFD(small.FD), UpdateExist); e != OK {
		t.Fatal(e)
	}
	if after := walk(); after[0] != before[0] || after[1] != before[1] {
		t.Fatalf("in-place update changed the walk: %v -> %v", before, after)
	}
	if v := o.Ops().(*HashOfMaps).View(); len(v.Slots) != 2 || v.Slots[1].InnerName != "small" {
		t.Fatalf("view %+v", v)
	}
	if _, e := o.LookupAndDelete(qsVal(5), 0); e != ENOTSUPP {
		t.Fatal(e)
	}
	if e := o.Delete(qsVal(5)); e != OK {
		t.Fatal(e)
	}
	if e := o.Delete(qsVal(5)); e != ENOENT {
		t.Fatal(e)
	}
	if m, e := o.ProgLookupInner(qsVal(5)); e != ENOENT || m != nil {
		t.Fatal(m, e)
	}
}

// A clone's outer map hands out the clone's inner maps.
func TestMapInMapClone(t *testing.T) {
	w := NewWorld(Config{})
	in := mimCreate(t, w, MapAttr{Name: "in", Type: MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	o := mimCreate(t, w, MapAttr{Name: "o", Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1, InnerMapFD: in.FD})
	h := mimCreate(t, w, MapAttr{Name: "h", Type: MapHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1, InnerMapFD: in.FD})
	if e := o.Update(qsVal(0), mimFD(in.FD), 0); e != OK {
		t.Fatal(e)
	}
	if e := h.Update(qsVal(7), mimFD(in.FD), 0); e != OK {
		t.Fatal(e)
	}
	c := w.Clone()
	co, _ := c.MapByID(o.ID)
	ch, _ := c.MapByID(h.ID)
	cin, _ := c.MapByID(in.ID)
	for _, m := range []*Map{co, ch} {
		key := qsVal(0)
		if m == ch {
			key = qsVal(7)
		}
		got, e := m.ProgLookupInner(key)
		if e != OK || got != cin {
			t.Fatalf("%s: clone's inner %p, want %p (%v)", m.Name, got, cin, e)
		}
	}
	v, _ := got4(cin)
	v[0] = 9
	if w0, _ := in.Lookup(qsVal(0), 0); w0[0] != 0 {
		t.Fatal("clone shares inner storage")
	}
}

func got4(m *Map) ([]byte, Errno) { return m.ProgLookup(qsVal(0)) }
