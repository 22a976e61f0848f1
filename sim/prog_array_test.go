package sim

import (
	"encoding/binary"
	"testing"
)

type testProg struct {
	name string
	typ  ProgType
}

func (p *testProg) ProgName() string   { return p.name }
func (p *testProg) ProgType() ProgType { return p.typ }

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// TestProgArray checks the PROG_ARRAY rules of kernel-semantics §7.
func TestProgArray(t *testing.T) {
	w := NewWorld(Config{})
	if _, e := w.CreateMap(MapAttr{Name: "bad", Type: MapProgArray, KeySize: 4, ValueSize: 8, MaxEntries: 2}); e != EINVAL {
		t.Errorf("value_size 8: %v", e)
	}
	if _, e := w.CreateMap(MapAttr{Name: "bad", Type: MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 2, Flags: FlagRdonlyProg}); e != EINVAL {
		t.Errorf("rdonly_prog: %v", e)
	}
	m, e := w.CreateMap(MapAttr{Name: "jmp", Type: MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	if e != OK {
		t.Fatal(e)
	}
	other, _ := w.CreateMap(MapAttr{Name: "arr", Type: MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	sf1 := &testProg{"a", ProgSocketFilter}
	sf2 := &testProg{"b", ProgSocketFilter}
	xdp := &testProg{"x", ProgXDP}
	id1, fd1 := w.AddProgram(sf1)
	id2, fd2 := w.AddProgram(sf2)
	_, fdx := w.AddProgram(xdp)

	steps := []struct {
		op    string
		key   uint32
		fd    int
		flags uint64
		want  Errno
	}{
		{"lookup", 0, 0, 0, ENOENT},
		{"update", 0, fd1, UpdateNoExist, EINVAL}, // BPF_ANY only
		{"update", 2, fd1, 0, E2BIG},              // index >= max
		{"update", 0, 999, 0, EBADF},              // not an open fd
		{"update", 0, other.FD, 0, EINVAL},        // not a program
		{"update", 0, fd1, 0, OK},                 // owner: socket_filter
		{"update", 1, fdx, 0, EINVAL},             // incompatible type
		{"update", 1, fd2, 0, OK},                 //
		{"update", 1, fd1, 0, OK},                 // replace
		{"delete", 2, 0, 0, E2BIG},                //
		{"delete", 1, 0, 0, OK},                   //
		{"delete", 1, 0, 0, ENOENT},               // already empty
		{"update", 1, fd2, UpdateExist, EINVAL},   //
		{"lookup_and_delete", 0, 0, 0, ENOTSUPP},  //
	}
	for i, s := range steps {
		var got Errno
		switch s.op {
		case "lookup":
			_, got = m.Lookup(u32(s.key), 0)
		case "update":
			got = m.Update(u32(s.key), u32(uint32(s.fd)), s.flags)
		case "delete":
			got = m.Delete(u32(s.key))
		case "lookup_and_delete":
			_, got = m.LookupAndDelete(u32(s.key), 0)
		}
		if got != s.want {
			t.Errorf("step %d %s %d fd %d flags %d: %v, want %v", i, s.op, s.key, s.fd, s.flags, got, s.want)
		}
	}
	// A syscall lookup returns the program ID.
	v, e := m.Lookup(u32(0), 0)
	if e != OK || binary.LittleEndian.Uint32(v) != id1 {
		t.Errorf("lookup: %v %v, want id %d", v, e, id1)
	}
	_ = id2
	if _, e := m.ProgLookup(u32(0)); e == OK {
		t.Error("a program lookup of a prog_array succeeded")
	}
	view := m.ProgArray().View()
	if view.Owner != "socket_filter" || view.Slots[0].Prog != "a" || view.Slots[1].Prog != "" {
		t.Errorf("view %+v", view)
	}
	k, e := m.GetNextKey(nil)
	if e != OK || binary.LittleEndian.Uint32(k) != 0 {
		t.Errorf("next(NULL) %v %v", k, e)
	}
	if _, e := m.GetNextKey(u32(1)); e != ENOENT {
		t.Errorf("next(last) %v", e)
	}
	c := w.Clone()
	cm, _ := c.MapByID(m.ID)
	cm.Delete(u32(0))
	if m.ProgArray().Slot(0) == nil {
		t.Error("clone shares slots")
	}
}
