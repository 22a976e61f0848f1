package sim_test

// ARRAY and PERCPU_ARRAY against kernel-semantics §7, §13.2 (A1-A3) and the
// array errnos of §2.2 and kernel-oracle.md §1-§2.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
)

func arrA1(t *testing.T, ty sim.MapType, ncpu int) {
	w := htWorld(t, ncpu)
	m := htCreate(t, w, sim.MapAttr{Type: ty, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	val := func(v uint64) []byte { return htVal(m, v) }
	htExpect(t, "U1 A", m.Update(htU32(1), val(1234), sim.UpdateAny), sim.OK)
	htExpect(t, "U1 N", m.Update(htU32(1), val(1234), sim.UpdateNoExist), sim.EEXIST)
	v, e := m.Lookup(htU32(1), 0)
	htExpect(t, "L1", e, sim.OK)
	if !bytes.Equal(v, val(1234)) {
		t.Fatalf("L1 %x", v)
	}
	v, e = m.Lookup(htU32(0), 0)
	htExpect(t, "L0", e, sim.OK)
	if !bytes.Equal(v, make([]byte, m.SyscallValueSize())) {
		t.Fatalf("L0 is not zero: %x", v)
	}
	htExpect(t, "U2 E", m.Update(htU32(2), val(1), sim.UpdateExist), sim.E2BIG)
	_, e = m.Lookup(htU32(2), 0)
	htExpect(t, "L2", e, sim.ENOENT)
	next := func(k []byte) (uint32, sim.Errno) {
		n, e := m.GetNextKey(k)
		if e != sim.OK {
			return 0, e
		}
		return binary.LittleEndian.Uint32(n), e
	}
	for _, c := range []struct {
		key  []byte
		want uint32
		e    sim.Errno
	}{{nil, 0, sim.OK}, {htU32(2), 0, sim.OK}, {htU32(0xffffffff), 0, sim.OK}, {htU32(0), 1, sim.OK}, {htU32(1), 0, sim.ENOENT}} {
		n, e := next(c.key)
		if e != c.e || n != c.want {
			t.Errorf("next(%x) = %d %v, want %d %v", c.key, n, e, c.want, c.e)
		}
	}
	htExpect(t, "D1", m.Delete(htU32(1)), sim.EINVAL)
	_, e = m.LookupAndDelete(htU32(1), 0)
	htExpect(t, "LD1", e, sim.ENOTSUPP)
	if m.Len() != 2 {
		t.Errorf("len %d", m.Len())
	}
}

// TestArrayA1A2 is test_arraymap and test_arraymap_percpu.
func TestArrayA1A2(t *testing.T) {
	for _, ncpu := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("array cpus %d", ncpu), func(t *testing.T) { arrA1(t, sim.MapArray, ncpu) })
		t.Run(fmt.Sprintf("percpu cpus %d", ncpu), func(t *testing.T) { arrA1(t, sim.MapPercpuArray, ncpu) })
	}
}

// TestArrayA3PercpuManyKeys: 2000 keys, each set with per-CPU value i+10
// (i + 10 + cpu here, so each CPU's copy is distinct) and read back.
func TestArrayA3PercpuManyKeys(t *testing.T) {
	w := htWorld(t, 2)
	m := htCreate(t, w, sim.MapAttr{Type: sim.MapPercpuArray, KeySize: 4, ValueSize: 8, MaxEntries: 2000})
	for i := uint32(0); i < 2000; i++ {
		htExpect(t, "update", m.Update(htU32(i), htVal(m, uint64(i)+10), sim.UpdateAny), sim.OK)
	}
	for i := uint32(0); i < 2000; i++ {
		v, e := m.Lookup(htU32(i), 0)
		if e != sim.OK || !bytes.Equal(v, htVal(m, uint64(i)+10)) {
			t.Fatalf("key %d: %x %v", i, v, e)
		}
	}
}

// TestArrayProgSemantics: program lookups return live storage; a program's
// per-CPU update writes only the current CPU's copy; the syscall round-trips
// per-CPU padding bytes.
func TestArrayProgSemantics(t *testing.T) {
	w := htWorld(t, 2)
	a := htCreate(t, w, sim.MapAttr{Type: sim.MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	live, e := a.ProgLookup(htU32(3))
	htExpect(t, "prog lookup", e, sim.OK)
	live[0] = 7
	v, _ := a.Lookup(htU32(3), 0)
	if !bytes.Equal(v, []byte{7, 0, 0, 0}) {
		t.Fatalf("live write not seen: %x", v)
	}
	_, e = a.ProgLookup(htU32(4))
	htExpect(t, "prog lookup oob", e, sim.ENOENT)
	htExpect(t, "prog update oob", a.ProgUpdate(htU32(4), []byte{1, 2, 3, 4}, 0), sim.E2BIG)
	htExpect(t, "prog delete", a.ProgDelete(htU32(0)), sim.EINVAL)

	p := htCreate(t, w, sim.MapAttr{Type: sim.MapPercpuArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	buf := []byte{1, 0, 0, 0, 0xee, 0xee, 0xee, 0xee, 2, 0, 0, 0, 0, 0, 0, 0}
	htExpect(t, "syscall update", p.Update(htU32(0), buf, 0), sim.OK)
	v, _ = p.Lookup(htU32(0), 0)
	if !bytes.Equal(v, buf) {
		t.Fatalf("percpu round trip %x", v)
	}
	if err := w.SetCPU(1); err != nil {
		t.Fatal(err)
	}
	htExpect(t, "prog update", p.ProgUpdate(htU32(0), []byte{9, 0, 0, 0}, 0), sim.OK)
	v, _ = p.Lookup(htU32(0), 0)
	if !bytes.Equal(v, []byte{1, 0, 0, 0, 0xee, 0xee, 0xee, 0xee, 9, 0, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("prog update %x", v)
	}
	c0, e := p.ProgLookupPercpu(htU32(0), 0)
	htExpect(t, "lookup_percpu", e, sim.OK)
	if !bytes.Equal(c0, []byte{1, 0, 0, 0}) {
		t.Fatalf("cpu 0 copy %x", c0)
	}
	_, e = p.ProgLookupPercpu(htU32(0), 2)
	htExpect(t, "lookup_percpu cpu 2 of 2", e, sim.ENOENT)
	_, e = p.ProgLookupPercpu(htU32(4), 0)
	htExpect(t, "lookup_percpu oob", e, sim.ENOENT)
	// Per-CPU arrays refuse BPF_F_LOCK and NOEXIST from the syscall.
	htExpect(t, "percpu F_LOCK", p.Update(htU32(0), buf, sim.UpdateLock), sim.EINVAL)
	htExpect(t, "percpu NOEXIST", p.Update(htU32(0), buf, sim.UpdateNoExist), sim.EEXIST)
	htExpect(t, "percpu flags 3", p.Update(htU32(0), buf, 3), sim.EINVAL)
}

// TestArrayErrnos is the update errno order of §7 and kernel-oracle §2.
func TestArrayErrnos(t *testing.T) {
	w := htWorld(t, 1)
	m := htCreate(t, w, sim.MapAttr{Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	v := htU64(1)
	htExpect(t, "flags 3 oob", m.Update(htU32(9), v, 3), sim.EINVAL)      // flags first
	htExpect(t, "NOEXIST oob", m.Update(htU32(9), v, 1), sim.E2BIG)       // then bounds
	htExpect(t, "NOEXIST in range", m.Update(htU32(0), v, 1), sim.EEXIST) // then NOEXIST
	htExpect(t, "F_LOCK no lock", m.Update(htU32(0), v, sim.UpdateLock), sim.EINVAL)
	htExpect(t, "EXIST", m.Update(htU32(0), v, sim.UpdateExist), sim.OK)
	htExpect(t, "ANY", m.Update(htU32(1), v, sim.UpdateAny), sim.OK)
	_, e := m.LookupAndDelete(htU32(0), sim.UpdateLock)
	htExpect(t, "LD F_LOCK", e, sim.EINVAL)
	htExpect(t, "bad key size", m.Update(htU64(0), v, 0), sim.EFAULT)

	// Spin lock: F_LOCK accepted, the lock word is never written and reads 0.
	l := htCreate(t, w, sim.MapAttr{Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2, SpinLock: true, SpinLockOff: 4})
	htExpect(t, "F_LOCK", l.Update(htU32(0), []byte{1, 2, 3, 4, 5, 6, 7, 8}, sim.UpdateLock), sim.OK)
	got, _ := l.Lookup(htU32(0), sim.UpdateLock)
	if !bytes.Equal(got, []byte{1, 2, 3, 4, 0, 0, 0, 0}) {
		t.Fatalf("locked value %x", got)
	}
	htExpect(t, "F_LOCK|NOEXIST", l.Update(htU32(0), make([]byte, 8), sim.UpdateLock|sim.UpdateNoExist), sim.EEXIST)

	// Read-only and frozen arrays.
	ro := htCreate(t, w, sim.MapAttr{Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2, Flags: sim.FlagRdonly})
	htExpect(t, "rdonly U", ro.Update(htU32(0), v, 0), sim.EPERM)
	if _, e := ro.Lookup(htU32(0), 0); e != sim.OK {
		t.Fatalf("rdonly L %v", e)
	}
	htExpect(t, "freeze", m.Freeze(), sim.OK)
	htExpect(t, "frozen U", m.Update(htU32(0), v, 0), sim.EPERM)
	htExpect(t, "frozen prog U", m.ProgUpdate(htU32(0), v, 0), sim.OK)
}

// TestArrayCreateErrnos is §2.2's array rows and kernel-oracle §1.
func TestArrayCreateErrnos(t *testing.T) {
	a := func(ty sim.MapType, ks, vs, max, flags uint32) sim.MapAttr {
		return sim.MapAttr{Type: ty, KeySize: ks, ValueSize: vs, MaxEntries: max, Flags: flags}
	}
	A, P := sim.MapArray, sim.MapPercpuArray
	rows := []struct {
		name string
		a    sim.MapAttr
		want sim.Errno
	}{
		{"ok", a(A, 4, 8, 2, 0), sim.OK},
		{"key 0", a(A, 0, 8, 2, 0), sim.EINVAL},
		{"key 8", a(A, 8, 8, 2, 0), sim.EINVAL},
		{"value 0", a(A, 4, 0, 2, 0), sim.EINVAL},
		{"max 0", a(A, 4, 8, 0, 0), sim.EINVAL},
		{"no_prealloc", a(A, 4, 8, 2, sim.FlagNoPrealloc), sim.EINVAL},
		{"zero_seed", a(A, 4, 8, 2, sim.FlagZeroSeed), sim.EINVAL},
		{"mmapable", a(A, 4, 8, 2, sim.FlagMmapable), sim.OK},
		{"inner_map", a(A, 4, 8, 2, sim.FlagInnerMap), sim.OK},
		{"percpu mmapable", a(P, 4, 8, 2, sim.FlagMmapable), sim.EINVAL},
		{"percpu inner_map", a(P, 4, 8, 2, sim.FlagInnerMap), sim.EINVAL},
		{"preserve_elems", a(A, 4, 8, 2, sim.FlagPreserveElems), sim.EINVAL},
		{"numa", a(A, 4, 8, 2, sim.FlagNumaNode), sim.OK},
		{"percpu numa", a(P, 4, 8, 2, sim.FlagNumaNode), sim.EINVAL},
		{"rdonly_prog|wronly_prog", a(A, 4, 8, 2, sim.FlagRdonlyProg|sim.FlagWronlyProg), sim.EINVAL},
		{"value 2^31", a(A, 4, 1<<31, 1, 0), sim.E2BIG},
		{"value 2^31-1", a(A, 4, 1<<31-1, 1, 0), sim.OK},
		{"max 0xffffffff", a(A, 4, 4, 0xffffffff, 0), sim.ENOMEM},
		{"percpu value 32768", a(P, 4, 32768, 1, 0), sim.OK},
		{"percpu value 32769", a(P, 4, 32769, 1, 0), sim.E2BIG},
	}
	for _, r := range rows {
		w := htWorld(t, 2)
		if _, e := w.CreateMap(r.a); e != r.want {
			t.Errorf("%s: got %v, want %v", r.name, e, r.want)
		}
	}
}

// TestArrayHugeIsLazy: a 2^31-entry array creates instantly, reads zero
// anywhere and stores what is written.
func TestArrayHugeIsLazy(t *testing.T) {
	w := htWorld(t, 1)
	m := htCreate(t, w, sim.MapAttr{Type: sim.MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 1 << 31})
	v, e := m.Lookup(htU32(1<<31-1), 0)
	if e != sim.OK || !bytes.Equal(v, make([]byte, 4)) {
		t.Fatalf("last element %x %v", v, e)
	}
	htExpect(t, "update", m.Update(htU32(123456789), []byte{1, 2, 3, 4}, 0), sim.OK)
	v, _ = m.Lookup(htU32(123456789), 0)
	if !bytes.Equal(v, []byte{1, 2, 3, 4}) {
		t.Fatalf("read back %x", v)
	}
	live, _ := m.ProgLookup(htU32(7))
	live[3] = 9
	c := w.Clone()
	cm, _ := c.MapByID(m.ID)
	v, _ = cm.Lookup(htU32(7), 0)
	if v[3] != 9 {
		t.Fatalf("clone lost a write: %x", v)
	}
	cm.Update(htU32(7), make([]byte, 4), 0)
	v, _ = m.Lookup(htU32(7), 0)
	if v[3] != 9 {
		t.Fatalf("clone write leaked into the original: %x", v)
	}
	av := m.Ops().(*sim.Arraymap)
	if av.MaxEntries() != 1<<31 || !bytes.Equal(av.Value(123456789), []byte{1, 2, 3, 4}) || av.Value(1<<31) != nil {
		t.Fatalf("view")
	}
	if vs := av.Values(6, 3); len(vs) != 3 || vs[1][3] != 9 {
		t.Fatalf("values %x", vs)
	}
}
