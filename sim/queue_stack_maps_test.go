package sim

import (
	"encoding/binary"
	"testing"
)

func qsCreate(t testing.TB, typ MapType, max uint32, flags uint32) *Map {
	t.Helper()
	w := NewWorld(Config{})
	m, e := w.CreateMap(MapAttr{Name: "q", Type: typ, ValueSize: 4, MaxEntries: max, Flags: flags})
	if e != OK {
		t.Fatalf("create %v: %v", typ, e)
	}
	return m
}

func qsVal(x uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, x); return b }

func TestQueueStackCreateErrnos(t *testing.T) {
	for _, typ := range []MapType{MapQueue, MapStack} {
		cases := []struct {
			name  string
			a     MapAttr
			errno Errno
		}{
			{"ok", MapAttr{ValueSize: 4, MaxEntries: 32}, OK},
			{"key 4", MapAttr{KeySize: 4, ValueSize: 4, MaxEntries: 32}, EINVAL},
			{"no_prealloc", MapAttr{ValueSize: 4, MaxEntries: 32, Flags: FlagNoPrealloc}, EINVAL},
			{"value 0", MapAttr{ValueSize: 0, MaxEntries: 32}, EINVAL},
			{"max 0", MapAttr{ValueSize: 4, MaxEntries: 0}, EINVAL},
			{"value 4MiB", MapAttr{ValueSize: 4 << 20, MaxEntries: 1}, OK},
			{"value > 4MiB", MapAttr{ValueSize: 4<<20 + 1, MaxEntries: 1}, E2BIG},
			{"rdonly", MapAttr{ValueSize: 4, MaxEntries: 1, Flags: FlagRdonly}, OK},
			{"zero_seed", MapAttr{ValueSize: 4, MaxEntries: 1, Flags: FlagZeroSeed}, EINVAL},
			{"rdonly_prog|wronly_prog", MapAttr{ValueSize: 4, MaxEntries: 1, Flags: FlagRdonlyProg | FlagWronlyProg}, EINVAL},
		}
		for _, c := range cases {
			c.a.Type = typ
			if _, e := NewWorld(Config{}).CreateMap(c.a); e != c.errno {
				t.Errorf("%v %s: %v, want %v", typ, c.name, e, c.errno)
			}
		}
	}
}

// §13.3 Q1 and S1 (test_maps.c test_queuemap / test_stackmap).
func TestQueueStackQ1S1(t *testing.T) {
	const max = 32
	vals := make([]uint32, max+max/2)
	for i := range vals {
		vals[i] = uint32(i*7 + 1000) // any distinct values
	}
	for _, typ := range []MapType{MapQueue, MapStack} {
		m := qsCreate(t, typ, max, 0)
		for i := 0; i < max; i++ {
			if e := m.Push(qsVal(vals[i]), 0); e != OK {
				t.Fatalf("%v push %d: %v", typ, i, e)
			}
		}
		if e := m.Push(qsVal(vals[0]), 0); e != E2BIG {
			t.Fatalf("%v push when full: %v", typ, e)
		}
		v, e := m.Peek()
		wantPeek := vals[0]
		if typ == MapStack {
			wantPeek = vals[max-1]
		}
		if e != OK || binary.LittleEndian.Uint32(v) != wantPeek {
			t.Fatalf("%v peek: %v %v", typ, e, v)
		}
		for i := max; i < max+max/2; i++ {
			if e := m.Push(qsVal(vals[i]), UpdateExist); e != OK {
				t.Fatalf("%v push EXIST %d: %v", typ, i, e)
			}
		}
		for i := 0; i < max; i++ {
			want := vals[max/2+i] // queue: vals[16..47]
			if typ == MapStack {
				want = vals[len(vals)-1-i] // stack: vals[47] down to vals[16]
			}
			v, e := m.Pop()
			if e != OK || binary.LittleEndian.Uint32(v) != want {
				t.Fatalf("%v pop %d: %v %d, want %d", typ, i, e, binary.LittleEndian.Uint32(v), want)
			}
		}
		if _, e := m.Pop(); e != ENOENT {
			t.Fatalf("%v pop empty: %v", typ, e)
		}
		if e := m.Delete(nil); e != EINVAL {
			t.Fatalf("%v delete: %v", typ, e)
		}
		if _, e := m.GetNextKey(nil); e != EINVAL {
			t.Fatalf("%v next: %v", typ, e)
		}
	}
}

// kernel-semantics §8 live vector and kernel-oracle §5.
func TestQueueStackLive(t *testing.T) {
	m := qsCreate(t, MapQueue, 2, 0)
	steps := []struct {
		push  uint32
		flags uint64
		want  Errno
	}{{5, 0, OK}, {6, 0, OK}, {7, 0, E2BIG}, {7, UpdateExist, OK}}
	for _, s := range steps {
		if e := m.Push(qsVal(s.push), s.flags); e != s.want {
			t.Fatalf("push %d: %v want %v", s.push, e, s.want)
		}
	}
	if e := m.Push(qsVal(8), UpdateNoExist); e != EINVAL {
		t.Fatalf("NOEXIST when full: %v", e)
	}
	if v, e := m.Peek(); e != OK || v[0] != 6 {
		t.Fatalf("peek %v %v", v, e)
	}
	for _, want := range []byte{6, 7} {
		if v, e := m.Pop(); e != OK || v[0] != want {
			t.Fatalf("pop %v %v want %d", v, e, want)
		}
	}
	if _, e := m.Pop(); e != ENOENT {
		t.Fatal(e)
	}
	if _, e := m.Peek(); e != ENOENT {
		t.Fatal(e)
	}

	for _, c := range []struct {
		typ  MapType
		want []uint32
	}{{MapQueue, []uint32{2, 3, 4}}, {MapStack, []uint32{4, 3, 2}}} {
		m := qsCreate(t, c.typ, 3, 0)
		for i := uint32(1); i <= 3; i++ {
			m.Push(qsVal(i), 0)
		}
		if e := m.Push(qsVal(4), UpdateExist); e != OK {
			t.Fatal(e)
		}
		for _, w := range c.want {
			if v, e := m.Pop(); e != OK || binary.LittleEndian.Uint32(v) != w {
				t.Fatalf("%v drain: %v %v want %d", c.typ, v, e, w)
			}
		}
		m = qsCreate(t, c.typ, 3, 0)
		for i := uint32(100); i < 110; i++ {
			if e := m.Push(qsVal(i), UpdateExist); e != OK {
				t.Fatal(e)
			}
		}
		want := []uint32{107, 108, 109}
		if c.typ == MapStack {
			want = []uint32{109, 108, 107}
		}
		for _, w := range want {
			if v, e := m.Pop(); e != OK || binary.LittleEndian.Uint32(v) != w {
				t.Fatalf("%v drain 100..109: %v %v want %d", c.typ, v, e, w)
			}
		}
	}
}

func TestQueueStackErrnos(t *testing.T) {
	for _, typ := range []MapType{MapQueue, MapStack} {
		m := qsCreate(t, typ, 4, 0)
		if e := m.Update([]byte{0, 0, 0, 0}, qsVal(1), 0); e != EINVAL {
			t.Errorf("%v non-NULL key update: %v", typ, e)
		}
		if _, e := m.Lookup([]byte{0}, 0); e != EINVAL {
			t.Errorf("%v non-NULL key lookup: %v", typ, e)
		}
		if e := m.Push(qsVal(1), UpdateLock); e != EINVAL {
			t.Errorf("%v flags 4: %v", typ, e)
		}
		if e := m.Push(qsVal(1), UpdateNoExist); e != EINVAL {
			t.Errorf("%v NOEXIST: %v", typ, e)
		}
		if _, e := m.LookupAndDelete(nil, UpdateLock); e != EINVAL {
			t.Errorf("%v pop with flags: %v", typ, e)
		}
		// WRONLY: push ok, peek and pop EPERM (§13.1 H6).
		w := qsCreate(t, typ, 4, FlagWronly)
		if e := w.Push(qsVal(1), 0); e != OK {
			t.Errorf("%v wronly push: %v", typ, e)
		}
		if _, e := w.Peek(); e != EPERM {
			t.Errorf("%v wronly peek: %v", typ, e)
		}
		if _, e := w.Pop(); e != EPERM {
			t.Errorf("%v wronly pop: %v", typ, e)
		}
	}
}

func TestQueueStackProgHelpers(t *testing.T) {
	m := qsCreate(t, MapQueue, 2, 0)
	if e := m.ProgPush(qsVal(1), 0); e != OK {
		t.Fatal(e)
	}
	if e := m.ProgPush(qsVal(2), 0); e != OK {
		t.Fatal(e)
	}
	if e := m.ProgPush(qsVal(3), 0); e.Neg() != -7 {
		t.Fatalf("full: %v", e)
	}
	if e := m.ProgPush(qsVal(3), UpdateExist); e != OK {
		t.Fatal(e)
	}
	if e := m.ProgPush(qsVal(3), UpdateNoExist); e.Neg() != -22 {
		t.Fatal(e)
	}
	if v, e := m.ProgPeek(); e != OK || v[0] != 2 {
		t.Fatal(v, e)
	}
	buf := []byte{9, 9, 9, 9}
	if e := m.ProgPopInto(buf); e != OK || buf[0] != 2 {
		t.Fatal(buf, e)
	}
	m.ProgPop()
	if e := m.ProgPopInto(buf); e.Neg() != -2 || buf[0] != 0 {
		t.Fatalf("empty pop: %v %v (buffer must be zeroed)", e, buf)
	}
	if e := m.ProgPeekInto(buf); e.Neg() != -2 {
		t.Fatal(e)
	}
	if _, e := m.ProgLookup(nil); e == OK {
		t.Fatal("program lookup on a queue returns NULL")
	}
	// Clone and view.
	m.ProgPush(qsVal(5), 0)
	c := m.World().Clone()
	cm, _ := c.MapByID(m.ID)
	cm.ProgPush(qsVal(6), 0)
	if m.Len() != 1 || cm.Len() != 2 {
		t.Fatalf("clone: %d %d", m.Len(), cm.Len())
	}
	v := cm.Ops().(*QueueStack).View()
	if v.Size != 3 || v.Len != 2 || len(v.Slots) != 2 || v.Slots[0].Value[0] != 5 || v.Slots[1].Value[0] != 6 {
		t.Fatalf("view %+v", v)
	}
}

func TestQueueEvents(t *testing.T) {
	w := NewWorld(Config{})
	var evs []QueueEvent
	w.SetSink(func(e Event) {
		if q, ok := e.(QueueEvent); ok {
			evs = append(evs, q)
		}
	})
	m, _ := w.CreateMap(MapAttr{Name: "s", Type: MapStack, ValueSize: 4, MaxEntries: 2})
	m.Push(qsVal(1), 0)
	m.Push(qsVal(2), 0)
	m.Push(qsVal(3), UpdateExist)
	if len(evs) != 4 || evs[2].Action != "drop_oldest" || evs[2].Slot != 0 || evs[3].Slot != 2 || evs[3].Head != 0 || evs[3].Tail != 1 {
		t.Fatalf("events %+v", evs)
	}
}
