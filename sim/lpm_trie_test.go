package sim

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"net/netip"
	"sort"
	"strings"
	"testing"
)

// ---- helpers ----

func newLPM(t testing.TB, dataSize, max, valueSize uint32) *Map {
	t.Helper()
	w := NewWorld(Config{})
	m, e := w.CreateMap(MapAttr{Name: "lpm", Type: MapLPMTrie, KeySize: 4 + dataSize, ValueSize: valueSize, MaxEntries: max, Flags: FlagNoPrealloc})
	if e != OK {
		t.Fatalf("create lpm: %v", e)
	}
	return m
}

// ipk parses "a.b.c.d/n" or "v6addr/n" into an LPM key.
func lpmIPKey(t testing.TB, s string) []byte {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatalf("bad prefix %q: %v", s, err)
	}
	return LPMKey(uint32(p.Bits()), p.Addr().AsSlice())
}

// ip32 is a full-length key for an address.
func lpmIPFull(t testing.TB, s string) []byte {
	t.Helper()
	a := netip.MustParseAddr(s)
	return LPMKey(uint32(a.BitLen()), a.AsSlice())
}

func lpmVal(v uint64) []byte { b := make([]byte, 8); binary.LittleEndian.PutUint64(b, v); return b }

func lpmKeyStr(k []byte) string { return LPMPrefix(k[4:], binary.LittleEndian.Uint32(k)) }

func lpmMustUpdate(t testing.TB, m *Map, key, val []byte, flags uint64) {
	t.Helper()
	if e := m.Update(key, val, flags); e != OK {
		t.Fatalf("update %s: %v", lpmKeyStr(key), e)
	}
}

func lpmExpectLookup(t testing.TB, m *Map, key []byte, want uint64, wantErr Errno) {
	t.Helper()
	v, e := m.Lookup(key, 0)
	if e != wantErr {
		t.Fatalf("lookup %s: errno %v, want %v", lpmKeyStr(key), e, wantErr)
	}
	if e == OK && binary.LittleEndian.Uint64(v) != want {
		t.Fatalf("lookup %s: value %d, want %d", lpmKeyStr(key), binary.LittleEndian.Uint64(v), want)
	}
}

// walk returns the full get_next_key walk from NULL as strings.
func lpmWalk(t testing.TB, m *Map) []string {
	t.Helper()
	var out []string
	var k []byte
	for i := 0; i <= m.Len()+1; i++ {
		nk, e := m.GetNextKey(k)
		if e == ENOENT {
			return out
		}
		if e != OK {
			t.Fatalf("next: %v", e)
		}
		out = append(out, lpmKeyStr(nk))
		k = nk
	}
	t.Fatalf("walk did not end: %v", out)
	return nil
}

// ---- tlpm: the reference linear matcher (the selftest's idea, our code) ----

type tlpmEntry struct {
	data []byte
	plen uint32
}

type tlpm struct{ list []tlpmEntry }

func tlpmBitsEqual(a, b []byte, n uint32) bool {
	for i := uint32(0); i < n; i++ {
		if lpmBit(a, i) != lpmBit(b, i) {
			return false
		}
	}
	return true
}

// add inserts a prefix; an equal prefix (same length, same first plen bits)
// is replaced in place with the new data, as the trie does.
func (l *tlpm) add(data []byte, plen uint32) {
	for i, e := range l.list {
		if e.plen == plen && tlpmBitsEqual(e.data, data, plen) {
			l.list[i].data = append([]byte(nil), data...)
			return
		}
	}
	l.list = append(l.list, tlpmEntry{append([]byte(nil), data...), plen})
}

// match returns the longest prefix covering data (nil if none).
func (l *tlpm) match(data []byte, plen uint32) *tlpmEntry {
	var best *tlpmEntry
	for i := range l.list {
		e := &l.list[i]
		if e.plen <= plen && tlpmBitsEqual(e.data, data, e.plen) && (best == nil || e.plen > best.plen) {
			best = e
		}
	}
	return best
}

func (l *tlpm) delete(data []byte, plen uint32) bool {
	for i, e := range l.list {
		if e.plen == plen && tlpmBitsEqual(e.data, data, plen) {
			l.list = append(l.list[:i], l.list[i+1:]...)
			return true
		}
	}
	return false
}

// lpm_basic / lpm_order: tests of the reference matcher itself.
func TestTlpmBasic(t *testing.T) {
	var l tlpm
	l.add([]byte{0xff, 0}, 8)
	if e := l.match([]byte{0xff, 0}, 16); e == nil || e.plen != 8 {
		t.Fatal("ff/8 should match ff00")
	}
	if l.match([]byte{0xfe, 0}, 16) != nil || l.match([]byte{0x7f, 0}, 16) != nil {
		t.Fatal("fe and 7f must not match ff/8")
	}
	l.add([]byte{0xff, 0xff}, 16)
	if e := l.match([]byte{0xff, 0xff}, 16); e == nil || e.plen != 16 {
		t.Fatal("ffff/16 should win")
	}
	if e := l.match([]byte{0xff, 0x00}, 16); e == nil || e.plen != 8 {
		t.Fatal("ff00 is covered by ff/8 only")
	}
	if e := l.match([]byte{0x7f, 0xff}, 16); e != nil {
		t.Fatal("7fff is covered by nothing")
	}
	var l2 tlpm
	l2.add([]byte{0xff}, 1)
	if e := l2.match([]byte{0x80}, 8); e == nil {
		t.Fatal("ff/1 covers 0x80")
	}
	if e := l2.match([]byte{0x7f}, 8); e != nil {
		t.Fatal("ff/1 does not cover 0x7f")
	}
	l2.add([]byte{0xfe}, 7)
	if e := l2.match([]byte{0xfe}, 8); e == nil || e.plen != 7 {
		t.Fatal("fe/7 should win over ff/1")
	}
	if e := l2.match([]byte{0xff}, 8); e == nil || e.plen != 7 {
		t.Fatal("fe/7 covers ff")
	}
	if !l2.delete([]byte{0xff}, 7) { // same first 7 bits as fe
		t.Fatal("delete fe/7 by ff/7")
	}
	if e := l2.match([]byte{0xfe}, 8); e == nil || e.plen != 1 {
		t.Fatal("after delete ff/1 remains")
	}
	// lpm_order: insertion order does not matter.
	var a, b tlpm
	a.add([]byte{0xff}, 1)
	a.add([]byte{0xff}, 8)
	b.add([]byte{0xff}, 8)
	b.add([]byte{0xff}, 1)
	for _, d := range []byte{0xff, 0x80, 0x7f} {
		ea, eb := a.match([]byte{d}, 8), b.match([]byte{d}, 8)
		if (ea == nil) != (eb == nil) || ea != nil && ea.plen != eb.plen {
			t.Fatalf("order changes the match of %#x", d)
		}
	}
}

// ---- create ----

func TestLPMCreateErrnos(t *testing.T) {
	cases := []struct {
		name  string
		a     MapAttr
		errno Errno
	}{
		{"ok", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc}, OK},
		{"no NO_PREALLOC", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 1}, EINVAL},
		{"max 0", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 0, Flags: FlagNoPrealloc}, EINVAL},
		{"key 4", MapAttr{KeySize: 4, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc}, EINVAL},
		{"key 5", MapAttr{KeySize: 5, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc}, OK},
		{"key 260", MapAttr{KeySize: 260, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc}, OK},
		{"key 261", MapAttr{KeySize: 261, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc}, EINVAL},
		{"value 0", MapAttr{KeySize: 8, ValueSize: 0, MaxEntries: 1, Flags: FlagNoPrealloc}, EINVAL},
		{"value 4194024", MapAttr{KeySize: 8, ValueSize: 4194024, MaxEntries: 1, Flags: FlagNoPrealloc}, OK},
		{"value 4194025", MapAttr{KeySize: 8, ValueSize: 4194025, MaxEntries: 1, Flags: FlagNoPrealloc}, EINVAL},
		{"zero_seed", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc | FlagZeroSeed}, EINVAL},
		{"mmapable", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc | FlagMmapable}, EINVAL},
		{"rdonly", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc | FlagRdonly}, OK},
		{"rdonly_prog|wronly_prog", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc | FlagRdonlyProg | FlagWronlyProg}, EINVAL},
		{"map_extra", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc, MapExtra: 1}, EINVAL},
		{"numa_node", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc | FlagNumaNode}, OK},
		// §2.2 step 10: a spin lock in a type that does not support it.
		{"spin lock", MapAttr{KeySize: 8, ValueSize: 8, MaxEntries: 1, Flags: FlagNoPrealloc, SpinLock: true}, EOPNOTSUPP},
	}
	for _, c := range cases {
		w := NewWorld(Config{})
		c.a.Type = MapLPMTrie
		_, e := w.CreateMap(c.a)
		if e != c.errno {
			t.Errorf("%s: %v, want %v", c.name, e, c.errno)
		}
	}
}

// ---- selftest lpm_map: random prefixes against tlpm ----

func TestLPMMapRandom(t *testing.T) {
	for keysize := uint32(1); keysize <= 16; keysize++ {
		t.Run(fmt.Sprint(keysize), func(t *testing.T) {
			rng := rand.New(rand.NewSource(0xf00ba1 + int64(keysize)))
			m := newLPM(t, keysize, 4096, keysize+1)
			var l tlpm
			data := make([]byte, keysize)
			for i := 0; i < 256; i++ {
				rng.Read(data)
				plen := uint32(rng.Intn(int(keysize*8) + 1))
				l.add(data, plen)
				val := append(append([]byte(nil), data...), byte(plen))
				lpmMustUpdate(t, m, LPMKey(plen, data), val, UpdateAny)
			}
			check := func() {
				t.Helper()
				for i := 0; i < 1000; i++ {
					rng.Read(data)
					full := keysize * 8
					want := l.match(data, full)
					v, e := m.Lookup(LPMKey(full, data), 0)
					if want == nil {
						if e != ENOENT {
							t.Fatalf("lookup %x: %v, tlpm has no match", data, e)
						}
						continue
					}
					if e != OK {
						t.Fatalf("lookup %x: %v, tlpm matches /%d", data, e, want.plen)
					}
					if uint32(v[keysize]) != want.plen || !bytes.Equal(v[:keysize], want.data) {
						t.Fatalf("lookup %x: got %x/%d, tlpm %x/%d", data, v[:keysize], v[keysize], want.data, want.plen)
					}
				}
				if m.Len() != len(l.list) {
					t.Fatalf("count %d, tlpm %d", m.Len(), len(l.list))
				}
			}
			check()
			half := len(l.list) / 2
			dels := append([]tlpmEntry(nil), l.list[:half]...)
			for _, d := range dels {
				if e := m.Delete(LPMKey(d.plen, d.data)); e != OK {
					t.Fatalf("delete %x/%d: %v", d.data, d.plen, e)
				}
				l.delete(d.data, d.plen)
			}
			check()
		})
	}
}

// ---- selftest lpm_ipaddr ----

func TestLPMIPAddr(t *testing.T) {
	m4 := newLPM(t, 4, 100, 8)
	m6 := newLPM(t, 16, 100, 8)
	lpmMustUpdate(t, m4, lpmIPKey(t, "192.168.0.0/16"), lpmVal(1), 0)
	lpmMustUpdate(t, m4, lpmIPKey(t, "192.168.0.0/24"), lpmVal(2), 0)
	lpmMustUpdate(t, m4, lpmIPKey(t, "192.168.128.0/24"), lpmVal(3), 0)
	lpmMustUpdate(t, m4, lpmIPKey(t, "192.168.1.0/24"), lpmVal(5), 0)
	lpmMustUpdate(t, m4, lpmIPKey(t, "192.168.0.0/23"), lpmVal(4), 0)
	lpmMustUpdate(t, m6, lpmIPKey(t, "2a00:1450:4001:814::200e/64"), lpmVal(0xdeadbeef), 0)

	lpmExpectLookup(t, m4, lpmIPFull(t, "192.168.128.23"), 3, OK)
	lpmExpectLookup(t, m4, lpmIPFull(t, "192.168.0.1"), 2, OK)
	lpmExpectLookup(t, m6, lpmIPFull(t, "2a00:1450:4001:814::"), 0xdeadbeef, OK)
	lpmExpectLookup(t, m6, lpmIPFull(t, "2a00:1450:4001:814::1"), 0xdeadbeef, OK)
	lpmExpectLookup(t, m4, lpmIPFull(t, "10.0.0.1"), 0, ENOENT)
	lpmExpectLookup(t, m4, lpmIPFull(t, "11.11.11.11"), 0, ENOENT)
	lpmExpectLookup(t, m6, lpmIPFull(t, "2a00:ffff::"), 0, ENOENT)
}

// ---- selftest lpm_delete ----

func TestLPMDelete(t *testing.T) {
	m := newLPM(t, 4, 100, 8)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/16"), lpmVal(1), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/24"), lpmVal(2), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.128.0/24"), lpmVal(3), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.1.0/24"), lpmVal(4), 0)

	lpmExpectLookup(t, m, lpmIPFull(t, "10.0.0.1"), 0, ENOENT)
	if e := m.Delete(lpmIPKey(t, "192.255.0.0/30")); e != ENOENT {
		t.Fatalf("delete 192.255.0.0/30: %v", e)
	}
	if e := m.Delete(LPMKey(16, []byte{192, 255, 0, 0})); e != ENOENT {
		t.Fatalf("delete 192.255.0.0/16: %v", e)
	}
	lpmExpectLookup(t, m, lpmIPFull(t, "192.168.0.1"), 2, OK)

	steps := []struct {
		del    string
		lookup string
		want   uint64
		errno  Errno
	}{
		{"192.168.0.0/24", "192.168.0.1", 1, OK},
		{"192.168.1.0/24", "192.168.1.1", 1, OK},
		{"192.168.0.0/16", "192.168.128.1", 3, OK},
		{"192.168.128.0/24", "192.168.128.1", 0, ENOENT},
	}
	for _, s := range steps {
		if e := m.Delete(lpmIPKey(t, s.del)); e != OK {
			t.Fatalf("delete %s: %v", s.del, e)
		}
		lpmExpectLookup(t, m, lpmIPFull(t, s.lookup), s.want, s.errno)
	}
	if m.Len() != 0 {
		t.Fatalf("count %d", m.Len())
	}
	if r, im := m.Ops().(*LPMTrie).Nodes(); r+im != 0 {
		t.Fatalf("nodes left: %d real, %d im", r, im)
	}
}

// Deleting a leaf whose parent is intermediate removes the IM node too.
func TestLPMDeleteCollapsesIM(t *testing.T) {
	m := newLPM(t, 4, 100, 8)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/24"), lpmVal(2), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.1.0/24"), lpmVal(4), 0)
	tr := m.Ops().(*LPMTrie)
	if r, im := tr.Nodes(); r != 2 || im != 1 {
		t.Fatalf("want 2 real + 1 IM (192.168.0.0/23), got %d + %d", r, im)
	}
	if v := tr.Root(); !v.IM || v.Prefixlen != 23 {
		t.Fatalf("root should be the /23 IM node:\n%s", v)
	}
	if e := m.Delete(lpmIPKey(t, "192.168.1.0/24")); e != OK {
		t.Fatal(e)
	}
	if r, im := tr.Nodes(); r != 1 || im != 0 {
		t.Fatalf("want 1 real + 0 IM, got %d + %d", r, im)
	}
	// A real node with two children becomes IM and is not returned.
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/16"), lpmVal(1), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.128.0/24"), lpmVal(3), 0)
	if e := m.Delete(lpmIPKey(t, "192.168.0.0/16")); e != OK {
		t.Fatal(e)
	}
	if r, im := tr.Nodes(); r != 2 || im != 1 {
		t.Fatalf("want 2 real + 1 IM, got %d + %d", r, im)
	}
	if got := lpmWalk(t, m); strings.Join(got, " ") != "192.168.0.0/24 192.168.128.0/24" {
		t.Fatalf("walk %v", got)
	}
	if e := m.Delete(lpmIPKey(t, "192.168.0.0/16")); e != ENOENT {
		t.Fatalf("deleting the IM node: %v, want ENOENT", e)
	}
}

// ---- selftest lpm_get_next_key ----

func TestLPMGetNextKey(t *testing.T) {
	m := newLPM(t, 4, 100, 8)
	if _, e := m.GetNextKey(nil); e != ENOENT {
		t.Fatalf("empty next(NULL): %v", e)
	}
	if _, e := m.GetNextKey(lpmIPKey(t, "192.168.0.0/16")); e != ENOENT {
		t.Fatalf("empty next(key): %v", e)
	}
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/16"), lpmVal(1), 0)
	if _, e := m.GetNextKey(lpmIPKey(t, "192.168.0.0/16")); e != ENOENT {
		t.Fatalf("next(last): %v", e)
	}
	if k, e := m.GetNextKey(nil); e != OK || lpmKeyStr(k) != "192.168.0.0/16" {
		t.Fatalf("next(NULL): %v %v", e, k)
	}
	steps := []struct {
		add  string
		walk string
	}{
		{"192.168.128.0/24", "192.168.128.0/24 192.168.0.0/16"},
		{"192.168.0.0/24", "192.168.0.0/24 192.168.128.0/24 192.168.0.0/16"},
		{"192.168.1.0/24", "192.168.0.0/24 192.168.1.0/24 192.168.128.0/24 192.168.0.0/16"},
		{"192.168.1.128/28", "192.168.0.0/24 192.168.1.128/28 192.168.1.0/24 192.168.128.0/24 192.168.0.0/16"},
	}
	for _, s := range steps {
		lpmMustUpdate(t, m, lpmIPKey(t, s.add), lpmVal(1), 0)
		if got := strings.Join(lpmWalk(t, m), " "); got != s.walk {
			t.Fatalf("after %s: walk %s\nwant %s", s.add, got, s.walk)
		}
	}
	if k, e := m.GetNextKey(lpmIPKey(t, "192.168.0.0/22")); e != OK || lpmKeyStr(k) != "192.168.0.0/24" {
		t.Fatalf("next(absent /22): %v %v", e, k)
	}
}

// ---- selftest update_flags ----

func lpmU32Key(plen, data uint32) []byte {
	d := make([]byte, 4)
	binary.BigEndian.PutUint32(d, data)
	return LPMKey(plen, d)
}

func TestLPMUpdateFlags(t *testing.T) {
	m := newLPM(t, 4, 3, 4)
	v := func(x uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, x); return b }
	chk := func(step string, e, want Errno) {
		t.Helper()
		if e != want {
			t.Fatalf("%s: %v, want %v", step, e, want)
		}
	}
	chk("F_LOCK", m.Update(lpmU32Key(32, 0), v(0), UpdateLock), EINVAL)
	chk("NOEXIST|EXIST", m.Update(lpmU32Key(32, 0), v(0), UpdateNoExist|UpdateExist), EINVAL)
	chk("EXIST on empty", m.Update(lpmU32Key(32, 0), v(0), UpdateExist), ENOENT)
	chk("0/16 N", m.Update(lpmU32Key(16, 0), v(1), UpdateNoExist), OK)
	chk("0/16 N again", m.Update(lpmU32Key(16, 0), v(2), UpdateNoExist), EEXIST)
	chk("0/16 E", m.Update(lpmU32Key(16, 0), v(4), UpdateExist), OK)
	if got, _ := m.Lookup(lpmU32Key(16, 0), 0); binary.LittleEndian.Uint32(got) != 4 {
		t.Fatalf("0/16 = %x", got)
	}
	chk("0/16 A", m.Update(lpmU32Key(16, 0), v(5), UpdateAny), OK)
	chk("0/8 E", m.Update(lpmU32Key(8, 0), v(6), UpdateExist), ENOENT)
	chk("0/8 N", m.Update(lpmU32Key(8, 0), v(7), UpdateNoExist), OK)
	chk("0x00800000/9 N", m.Update(lpmU32Key(9, 0x00800000), v(8), UpdateNoExist), OK)
	chk("0x00800000/9 A", m.Update(lpmU32Key(9, 0x00800000), v(9), UpdateAny), OK)
	chk("D 0/8", m.Delete(lpmU32Key(8, 0)), OK)
	chk("0/8 E after delete (IM)", m.Update(lpmU32Key(8, 0), v(10), UpdateExist), ENOENT)
	chk("0/8 N fills the IM node", m.Update(lpmU32Key(8, 0), v(11), UpdateNoExist), OK)
	if m.Len() != 3 {
		t.Fatalf("count %d", m.Len())
	}
}

// ---- selftest update_full_map ----

func TestLPMUpdateFullMap(t *testing.T) {
	m := newLPM(t, 4, 3, 4)
	v := func(x uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, x); return b }
	for _, k := range [][]byte{lpmU32Key(16, 0), lpmU32Key(8, 0), lpmU32Key(9, 0x00800000)} {
		if e := m.Update(k, v(1), UpdateNoExist); e != OK {
			t.Fatalf("add %s: %v", lpmKeyStr(k), e)
		}
	}
	if e := m.Update(lpmU32Key(32, 0), v(2), UpdateAny); e != ENOSPC {
		t.Fatalf("add 0/32 to a full trie: %v, want ENOSPC", e)
	}
	if e := m.Update(lpmU32Key(32, 0), v(2), UpdateNoExist); e != ENOSPC {
		t.Fatalf("add 0/32 N to a full trie: %v, want ENOSPC", e)
	}
	if e := m.Update(lpmU32Key(32, 0), v(2), UpdateExist); e != ENOENT {
		t.Fatalf("add 0/32 E to a full trie: %v, want ENOENT", e)
	}
	if e := m.Update(lpmU32Key(16, 0), v(3), UpdateExist); e != OK {
		t.Fatal(e)
	}
	if e := m.Update(lpmU32Key(9, 0x00800000), v(4), UpdateAny); e != OK {
		t.Fatal(e)
	}
	for k, want := range map[string]uint32{"0.0.0.0/16": 3, "0.128.0.0/9": 4} {
		got, e := m.Lookup(lpmIPKey(t, k), 0)
		if e != OK || binary.LittleEndian.Uint32(got) != want {
			t.Fatalf("%s: %v %x", k, e, got)
		}
	}
}

// ---- selftest iterate_strs ----

func lpmStrKey(s string) []byte {
	d := make([]byte, 8)
	copy(d, s)
	return LPMKey(uint32(len(s)+1)*8, d)
}

func TestLPMIterateStrs(t *testing.T) {
	m := newLPM(t, 8, 6, 4)
	words := []string{"ab", "abO", "abc", "abo", "abS", "abcd"}
	for i, w := range words {
		v := []byte{byte(i), 0, 0, 0}
		if e := m.Update(lpmStrKey(w), v, UpdateNoExist); e != OK {
			t.Fatalf("add %q: %v", w, e)
		}
		if e := m.Update(lpmStrKey(w), v, UpdateNoExist); e != EEXIST {
			t.Fatalf("re-add %q: %v", w, e)
		}
		v[0] += 100
		if e := m.Update(lpmStrKey(w), v, UpdateAny); e != OK {
			t.Fatalf("overwrite %q: %v", w, e)
		}
		if got, e := m.Lookup(lpmStrKey(w), 0); e != OK || got[0] != byte(i+100) {
			t.Fatalf("lookup %q: %v %v", w, e, got)
		}
	}
	if e := m.Update(lpmStrKey("a"), []byte{1, 0, 0, 0}, UpdateAny); e != ENOSPC {
		t.Fatalf("full: %v", e)
	}
	sorted := append([]string(nil), words...)
	sort.Strings(sorted)
	toStr := func(k []byte) string {
		d := k[4:]
		if i := bytes.IndexByte(d, 0); i >= 0 {
			d = d[:i]
		}
		return string(d)
	}
	var got []string
	var k []byte
	for {
		nk, e := m.GetNextKey(k)
		if e == ENOENT {
			break
		}
		got = append(got, toStr(nk))
		k = nk
	}
	if strings.Join(got, ",") != strings.Join(sorted, ",") {
		t.Fatalf("walk %v, want %v", got, sorted)
	}
	// Walk while deleting each returned key.
	got = nil
	k = nil
	for {
		nk, e := m.GetNextKey(k)
		if e == ENOENT {
			break
		}
		got = append(got, toStr(nk))
		if e := m.Delete(nk); e != OK {
			t.Fatal(e)
		}
		k = nk
	}
	if strings.Join(got, ",") != strings.Join(sorted, ",") {
		t.Fatalf("delete-walk %v, want %v", got, sorted)
	}
	if _, e := m.GetNextKey(k); e != ENOENT {
		t.Fatalf("final next: %v", e)
	}
}

// ---- selftest iterate_ints ----

func TestLPMIterateInts(t *testing.T) {
	const n = 4096
	m := newLPM(t, 4, n, 4)
	for i := uint32(0); i < n; i++ {
		lpmMustUpdate(t, m, lpmU32Key(32, i), []byte{1, 2, 3, 4}, UpdateNoExist)
	}
	var k []byte
	for i := uint32(0); i < n; i++ {
		nk, e := m.GetNextKey(k)
		if e != OK || binary.BigEndian.Uint32(nk[4:]) != i {
			t.Fatalf("step %d: %v %v", i, e, nk)
		}
		k = nk
	}
	if _, e := m.GetNextKey(k); e != ENOENT {
		t.Fatalf("end: %v", e)
	}
	k = nil
	for i := uint32(0); i < n; i++ {
		nk, e := m.GetNextKey(k)
		if e != OK || binary.BigEndian.Uint32(nk[4:]) != i {
			t.Fatalf("delete-walk step %d: %v %v", i, e, nk)
		}
		if e := m.Delete(nk); e != OK {
			t.Fatal(e)
		}
		k = nk
	}
	if _, e := m.GetNextKey(nil); e != ENOENT {
		t.Fatalf("end: %v", e)
	}
}

// ---- kernel-oracle.md §4 live examples ----

func TestLPMOracleLookups(t *testing.T) {
	m := newLPM(t, 4, 100, 8)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/16"), lpmVal(16), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/24"), lpmVal(24), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.1.0/24"), lpmVal(124), 0)
	lpmExpectLookup(t, m, lpmIPFull(t, "192.168.1.1"), 124, OK)
	lpmExpectLookup(t, m, lpmIPFull(t, "192.168.0.5"), 24, OK)
	lpmExpectLookup(t, m, lpmIPFull(t, "192.168.2.1"), 16, OK)
	lpmExpectLookup(t, m, lpmIPFull(t, "10.0.0.1"), 0, ENOENT)
	for plen, want := range map[uint32]uint64{16: 16, 20: 16, 24: 124} {
		lpmExpectLookup(t, m, LPMKey(plen, []byte{192, 168, 1, 1}), want, OK)
	}
	lpmExpectLookup(t, m, LPMKey(15, []byte{192, 168, 1, 1}), 0, ENOENT)
	lpmExpectLookup(t, m, LPMKey(33, []byte{192, 168, 1, 1}), 0, ENOENT)

	// Errnos.
	if e := m.Update(lpmIPKey(t, "192.168.0.0/16"), lpmVal(1), UpdateNoExist); e != EEXIST {
		t.Fatalf("NOEXIST existing: %v", e)
	}
	if e := m.Update(lpmIPKey(t, "10.0.0.0/8"), lpmVal(1), UpdateExist); e != ENOENT {
		t.Fatalf("EXIST missing: %v", e)
	}
	if e := m.Update(lpmIPKey(t, "10.0.0.0/8"), lpmVal(1), 3); e != EINVAL {
		t.Fatalf("flags 3: %v", e)
	}
	if e := m.Update(LPMKey(33, []byte{10, 0, 0, 0}), lpmVal(1), 0); e != EINVAL {
		t.Fatalf("plen 33: %v", e)
	}
	if e := m.Delete(lpmIPKey(t, "10.0.0.0/8")); e != ENOENT {
		t.Fatalf("delete absent: %v", e)
	}
	if e := m.Delete(LPMKey(33, []byte{10, 0, 0, 0})); e != EINVAL {
		t.Fatalf("delete plen 33: %v", e)
	}
	if _, e := m.LookupAndDelete(lpmIPKey(t, "192.168.0.0/16"), 0); e != ENOTSUPP {
		t.Fatalf("lookup_and_delete: %v", e)
	}
}

func TestLPMOracleHostBits(t *testing.T) {
	m := newLPM(t, 4, 100, 8)
	lpmMustUpdate(t, m, LPMKey(8, []byte{10, 1, 2, 3}), lpmVal(1), 0)
	lpmMustUpdate(t, m, LPMKey(8, []byte{10, 9, 9, 9}), lpmVal(2), 0)
	if got := lpmWalk(t, m); strings.Join(got, " ") != "10.9.9.9/8" {
		t.Fatalf("walk %v, want 10.9.9.9/8", got)
	}
	lpmExpectLookup(t, m, lpmIPFull(t, "10.200.0.1"), 2, OK)
	if e := m.Delete(LPMKey(8, []byte{10, 7, 7, 7})); e != OK {
		t.Fatalf("delete 10.7.7.7/8: %v", e)
	}
	if m.Len() != 0 {
		t.Fatal("not removed")
	}
}

var lpmWalk13 = []string{
	"8.8.8.8/32", "10.1.1.0/24", "10.1.0.0/16", "10.2.0.0/16", "10.0.0.0/8", "172.16.0.0/12",
	"192.168.0.0/24", "192.168.1.128/25", "192.168.1.0/24", "192.168.0.0/16",
	"255.255.255.255/32", "128.0.0.0/1", "0.0.0.0/0",
}

func TestLPMOracleWalk13(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := 0; round < 50; round++ {
		m := newLPM(t, 4, 100, 8)
		perm := rng.Perm(len(lpmWalk13))
		for _, i := range perm {
			lpmMustUpdate(t, m, lpmIPKey(t, lpmWalk13[i]), lpmVal(uint64(i)), 0)
			// noise: insert and delete an unrelated prefix
			if rng.Intn(2) == 0 {
				noise := LPMKey(uint32(rng.Intn(33)), []byte{byte(rng.Intn(256)), byte(rng.Intn(256)), 7, 7})
				if m.Update(noise, lpmVal(0), UpdateNoExist) == OK {
					_ = m.Delete(noise)
				}
			}
		}
		if got := lpmWalk(t, m); strings.Join(got, " ") != strings.Join(lpmWalk13, " ") {
			t.Fatalf("round %d: walk\n%v\nwant\n%v", round, got, lpmWalk13)
		}
		for _, k := range [][]byte{nil, lpmIPKey(t, "1.2.3.4/32"), LPMKey(40, []byte{8, 8, 8, 8})} {
			nk, e := m.GetNextKey(k)
			if e != OK || lpmKeyStr(nk) != lpmWalk13[0] {
				t.Fatalf("restart from %v: %v %v", k, e, nk)
			}
		}
	}
}

// §6.6 live example, including the /23 that turns the IM node real.
func TestLPMWalkSemanticsExample(t *testing.T) {
	m := newLPM(t, 4, 100, 8)
	for _, p := range []string{"192.168.0.0/16", "192.168.0.0/24", "192.168.128.0/24", "192.168.1.0/24"} {
		lpmMustUpdate(t, m, lpmIPKey(t, p), lpmVal(1), 0)
	}
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.1.128/28"), lpmVal(1), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/23"), lpmVal(1), 0)
	want := "192.168.0.0/24 192.168.1.128/28 192.168.1.0/24 192.168.0.0/23 192.168.128.0/24 192.168.0.0/16"
	if got := strings.Join(lpmWalk(t, m), " "); got != want {
		t.Fatalf("walk %s\nwant %s", got, want)
	}
	lpmMustUpdate(t, m, lpmIPKey(t, "0.0.0.0/0"), lpmVal(1), 0)
	if got := lpmWalk(t, m); got[len(got)-1] != "0.0.0.0/0" {
		t.Fatalf("0/0 should come last: %v", got)
	}
}

// ---- §6.6 total order as a randomized property ----

// lpmBefore is the documented order: A before B iff B is a proper prefix of
// A, otherwise compare at the first differing bit, 0 before 1.
func lpmBefore(a, b tlpmEntry) bool {
	n := a.plen
	if b.plen < n {
		n = b.plen
	}
	for i := uint32(0); i < n; i++ {
		ba, bb := lpmBit(a.data, i), lpmBit(b.data, i)
		if ba != bb {
			return ba < bb
		}
	}
	return a.plen > b.plen
}

func TestLPMWalkTotalOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	for round := 0; round < 200; round++ {
		ds := uint32(1 + rng.Intn(3))
		max := uint32(1 + rng.Intn(40))
		m := newLPM(t, ds, max, 1)
		var l tlpm
		data := make([]byte, ds)
		for op := 0; op < 80; op++ {
			rng.Read(data)
			plen := uint32(rng.Intn(int(ds*8) + 1))
			if rng.Intn(3) == 0 {
				e := m.Delete(LPMKey(plen, data))
				if had := l.delete(data, plen); had != (e == OK) {
					t.Fatalf("delete %x/%d: %v, tlpm had it: %v", data, plen, e, had)
				}
				continue
			}
			e := m.Update(LPMKey(plen, data), []byte{1}, UpdateAny)
			if e == OK {
				l.add(data, plen)
			} else if e != ENOSPC || len(l.list) < int(max) {
				t.Fatalf("update: %v", e)
			}
		}
		want := append([]tlpmEntry(nil), l.list...)
		sort.Slice(want, func(i, j int) bool { return lpmBefore(want[i], want[j]) })
		var got []tlpmEntry
		var k []byte
		for i := 0; i <= len(want); i++ {
			nk, e := m.GetNextKey(k)
			if e == ENOENT {
				break
			}
			got = append(got, tlpmEntry{nk[4:], binary.LittleEndian.Uint32(nk)})
			k = nk
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: walk has %d keys, want %d", round, len(got), len(want))
		}
		for i := range got {
			if got[i].plen != want[i].plen || !bytes.Equal(got[i].data, want[i].data) {
				t.Fatalf("round %d: position %d: %x/%d, want %x/%d", round, i, got[i].data, got[i].plen, want[i].data, want[i].plen)
			}
		}
	}
}

// ---- program side, events, clone ----

func TestLPMProgLookupLive(t *testing.T) {
	m := newLPM(t, 4, 10, 8)
	lpmMustUpdate(t, m, lpmIPKey(t, "10.0.0.0/8"), lpmVal(1), 0)
	v, e := m.ProgLookup(lpmIPFull(t, "10.1.2.3"))
	if e != OK {
		t.Fatal(e)
	}
	v[0] = 42
	lpmExpectLookup(t, m, lpmIPFull(t, "10.1.2.3"), 42, OK)
	if _, e := m.ProgLookup([]byte{1, 2}); e == OK {
		t.Fatal("short key must fail")
	}
}

func TestLPMEventsAndClone(t *testing.T) {
	w := NewWorld(Config{})
	var evs []Event
	w.SetSink(func(e Event) { evs = append(evs, e) })
	m, e := w.CreateMap(MapAttr{Name: "routes", Type: MapLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc})
	if e != OK {
		t.Fatal(e)
	}
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/24"), lpmVal(1), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.1.0/24"), lpmVal(2), 0)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind()]++
		if _, err := MarshalEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	if kinds["lpm.node"] < 3 { // insert, im_create, insert
		t.Fatalf("node events: %v", kinds)
	}
	evs = nil
	lpmExpectLookup(t, m, lpmIPFull(t, "192.168.1.7"), 2, OK)
	var visits, best int
	for _, e := range evs {
		switch ev := e.(type) {
		case LPMVisitEvent:
			visits++
			if visits == 1 && (!ev.IM || ev.Match != 23 || ev.Next != 1) {
				t.Fatalf("first visit: %+v", ev)
			}
		case LPMBestEvent:
			best++
		}
	}
	if visits != 2 || best != 1 {
		t.Fatalf("visits %d best %d: %v", visits, best, evs)
	}
	evs = nil
	if e := m.Delete(lpmIPKey(t, "192.168.0.0/24")); e != OK {
		t.Fatal(e)
	}
	found := false
	for _, e := range evs {
		if n, ok := e.(LPMNodeEvent); ok && n.Action == "im_remove" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no im_remove event: %v", evs)
	}
	// The post-order walk steps. 192.168.1.0/24 is the only key left; add a
	// sibling (an IM node /22 splits them) and a /16 above both.
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.2.0/24"), lpmVal(5), 0)
	lpmMustUpdate(t, m, lpmIPKey(t, "192.168.0.0/16"), lpmVal(6), 0)
	evs = nil
	k, e := m.GetNextKey(lpmIPKey(t, "192.168.1.0/24"))
	if e != OK || lpmKeyStr(k) != "192.168.2.0/24" {
		t.Fatalf("next: %v %v", e, k)
	}
	var steps []string
	for _, e := range evs {
		if wv, ok := e.(LPMWalkEvent); ok {
			steps = append(steps, wv.Step)
		}
	}
	if strings.Join(steps, ",") != "exact,right_subtree,leftmost" {
		t.Fatalf("walk steps %v", steps)
	}
	evs = nil
	if k, e = m.GetNextKey(k); e != OK || lpmKeyStr(k) != "192.168.0.0/16" {
		t.Fatalf("next: %v %v", e, k)
	}
	steps = nil
	for _, e := range evs {
		if wv, ok := e.(LPMWalkEvent); ok {
			steps = append(steps, wv.Step)
		}
	}
	if strings.Join(steps, ",") != "exact,up,parent" {
		t.Fatalf("walk steps %v", steps)
	}
	for _, p := range []string{"192.168.2.0/24", "192.168.0.0/16"} {
		if e := m.Delete(lpmIPKey(t, p)); e != OK {
			t.Fatal(e)
		}
	}
	c := w.Clone()
	cm, _ := c.MapByID(m.ID)
	lpmMustUpdate(t, cm, lpmIPKey(t, "10.0.0.0/8"), lpmVal(3), 0)
	if m.Len() != 1 || cm.Len() != 2 {
		t.Fatalf("clone shares state: %d %d", m.Len(), cm.Len())
	}
}

// ---- fuzz ----

func FuzzLPM(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, uint8(2), uint8(4))
	f.Add([]byte("\x00\x20\xc0\xa8\x00\x00\x01\x18\xc0\xa8\x01\x00"), uint8(4), uint8(3))
	f.Fuzz(func(t *testing.T, ops []byte, ds, max uint8) {
		dsz := uint32(ds%6) + 1
		mx := uint32(max%16) + 1
		m := newLPM(t, dsz, mx, 2)
		m.world.SetSink(func(Event) {})
		step := int(dsz) + 2
		for len(ops) >= step {
			op, plen, data := ops[0], uint32(ops[1]), ops[2:step]
			ops = ops[step:]
			if op&0x40 != 0 {
				plen %= dsz*8 + 1
			}
			k := LPMKey(plen, data)
			switch op % 5 {
			case 0, 1:
				m.Update(k, []byte{op, 1}, uint64(op>>3)%4)
			case 2:
				m.Delete(k)
			case 3:
				m.Lookup(k, 0)
				m.ProgLookup(k)
			case 4:
				m.GetNextKey(k)
			}
			if m.Len() > int(mx) {
				t.Fatalf("count %d > max %d", m.Len(), mx)
			}
		}
		n := 0
		var k []byte
		for {
			nk, e := m.GetNextKey(k)
			if e != OK {
				break
			}
			k = nk
			if n++; n > m.Len() {
				t.Fatalf("walk longer than count %d", m.Len())
			}
		}
		if n != m.Len() {
			t.Fatalf("walk %d keys, count %d", n, m.Len())
		}
	})
}

// TestLPMKeyEvent: lookup, update and delete report the key as the caller
// built it (prefixlen from its first four bytes, little-endian; the data
// after them), so the UI can show the bits the descent compares.
func TestLPMKeyEvent(t *testing.T) {
	m := newLPM(t, 4, 16, 4)
	var keys []LPMKeyEvent
	m.world.SetSink(func(e Event) {
		if k, ok := e.(LPMKeyEvent); ok {
			keys = append(keys, k)
		}
	})
	// 192.168.1.0/24, built by hand: prefixlen 24 little-endian, then c0 a8 01 00.
	key := []byte{24, 0, 0, 0, 0xc0, 0xa8, 0x01, 0x00}
	if e := m.Update(key, []byte{1, 0, 0, 0}, UpdateAny); e != OK {
		t.Fatalf("update: %v", e)
	}
	if _, e := m.Lookup([]byte{32, 0, 0, 0, 0xc0, 0xa8, 0x01, 0x07}, 0); e != OK {
		t.Fatalf("lookup: %v", e)
	}
	if e := m.Delete(key); e != OK {
		t.Fatalf("delete: %v", e)
	}
	want := []LPMKeyEvent{
		{Map: "lpm", Op: "update", Prefixlen: 24, Data: "c0a80100", Prefix: "192.168.1.0/24"},
		{Map: "lpm", Op: "lookup", Prefixlen: 32, Data: "c0a80107", Prefix: "192.168.1.7/32"},
		{Map: "lpm", Op: "delete", Prefixlen: 24, Data: "c0a80100", Prefix: "192.168.1.0/24"},
	}
	if len(keys) != len(want) {
		t.Fatalf("got %d key events %+v, want %d", len(keys), keys, len(want))
	}
	for i := range want {
		if keys[i].String() != want[i].String() {
			t.Errorf("event %d: %s, want %s", i, keys[i], want[i])
		}
	}
}
