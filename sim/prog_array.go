package sim

import (
	"encoding/binary"
	"fmt"
)

// This file models BPF_MAP_TYPE_PROG_ARRAY, the tail-call table
// (kernel/bpf/arraymap.c, the prog_array_map_ops and fd_array helpers;
// kernel-semantics §7).
//
// Slots hold programs. From user space a slot is written with a program fd
// (4 bytes, little endian) and read back as the program's ID. Programs may
// not look slots up; they jump through them with bpf_tail_call (sim/vm).
// The first program put into the array, or the first program loaded that
// refers to it, fixes the array's owner type; programs of any other type are
// refused with EINVAL.

func init() {
	registerMapType(MapProgArray, mapType{allocCheck: progArrayAllocCheck, alloc: progArrayAlloc})
}

// ProgArray is the family state of a PROG_ARRAY map.
type ProgArray struct {
	m         *Map
	slots     []Program
	owned     bool
	ownerType ProgType
}

// ProgArrayEvent reports a slot change of a program array.
type ProgArrayEvent struct {
	_ noCompare

	Map   string `json:"map"`
	Index uint32 `json:"index"`
	Op    string `json:"op"` // "set", "replace" or "clear"
	Prog  string `json:"prog,omitempty"`
	Old   string `json:"old,omitempty"`
}

func (ProgArrayEvent) Kind() string { return "prog_array.slot" }
func (e ProgArrayEvent) String() string {
	switch e.Op {
	case "clear":
		return fmt.Sprintf("prog_array %s: slot %d cleared (was %s)", e.Map, e.Index, e.Old)
	case "replace":
		return fmt.Sprintf("prog_array %s: slot %d = %s (replaces %s, whose reference is put)", e.Map, e.Index, e.Prog, e.Old)
	}
	return fmt.Sprintf("prog_array %s: slot %d = %s", e.Map, e.Index, e.Prog)
}

// progArrayAllocCheck is fd_array_map_alloc_check (arraymap.go).
func progArrayAllocCheck(a *MapAttr, w *World) (Errno, string) { return fdArrayAllocCheck(a) }

func progArrayAlloc(m *Map) (mapOps, Errno, string) {
	if m.MaxEntries > 1<<24 {
		return nil, ENOMEM, fmt.Sprintf("max_entries %d: the simulator keeps at most 16M slots", m.MaxEntries)
	}
	return &ProgArray{m: m, slots: make([]Program, m.MaxEntries)}, OK, ""
}

func (a *ProgArray) index(key []byte) uint32 { return binary.LittleEndian.Uint32(key) }

func (a *ProgArray) lookup(key []byte, src Source) ([]byte, Errno) {
	if src == Prog {
		return nil, a.m.fail("lookup", EINVAL, "programs cannot look up prog_array slots; they use bpf_tail_call")
	}
	i := a.index(key)
	if i >= uint32(len(a.slots)) {
		return nil, a.m.fail("lookup", ENOENT, fmt.Sprintf("index %d >= max_entries %d", i, len(a.slots)))
	}
	p := a.slots[i]
	if p == nil {
		return nil, a.m.fail("lookup", ENOENT, fmt.Sprintf("slot %d is empty", i))
	}
	out := make([]byte, 4)
	binary.LittleEndian.PutUint32(out, a.m.world.ProgID(p))
	return out, OK
}

func (a *ProgArray) update(key, value []byte, flags uint64, src Source) Errno {
	if src == Prog {
		return a.m.fail("update", EINVAL, "programs cannot update a prog_array")
	}
	if flags != UpdateAny {
		return a.m.fail("update", EINVAL, "fd arrays take BPF_ANY only")
	}
	i := a.index(key)
	if i >= uint32(len(a.slots)) {
		return a.m.fail("update", E2BIG, fmt.Sprintf("index %d >= max_entries %d", i, len(a.slots)))
	}
	if len(value) != 4 {
		return a.m.fail("update", EINVAL, "the value is a 4-byte program fd")
	}
	fd := int(int32(binary.LittleEndian.Uint32(value)))
	p, e := a.m.world.ProgByFD(fd)
	if e != OK {
		if e == EBADF {
			return a.m.fail("update", EBADF, fmt.Sprintf("fd %d is not open", fd))
		}
		return a.m.fail("update", e, fmt.Sprintf("fd %d is not a program", fd))
	}
	if !a.Claim(p.ProgType()) {
		return a.m.fail("update", EINVAL, fmt.Sprintf("the array holds %s programs; %s is a %s program", a.ownerType, p.ProgName(), p.ProgType()))
	}
	old := a.slots[i]
	a.slots[i] = p
	if a.m.world.sink != nil {
		ev := ProgArrayEvent{Map: a.m.Name, Index: i, Op: "set", Prog: p.ProgName()}
		if old != nil {
			ev.Op, ev.Old = "replace", old.ProgName()
		}
		a.m.emit(ev)
	}
	return OK
}

func (a *ProgArray) delete(key []byte, src Source) Errno {
	if src == Prog {
		return a.m.fail("delete", EINVAL, "programs cannot delete prog_array slots")
	}
	i := a.index(key)
	if i >= uint32(len(a.slots)) {
		return a.m.fail("delete", E2BIG, fmt.Sprintf("index %d >= max_entries %d", i, len(a.slots)))
	}
	old := a.slots[i]
	if old == nil {
		return a.m.fail("delete", ENOENT, fmt.Sprintf("slot %d is already empty", i))
	}
	a.slots[i] = nil
	if a.m.world.sink != nil {
		a.m.emit(ProgArrayEvent{Map: a.m.Name, Index: i, Op: "clear", Old: old.ProgName()})
	}
	return OK
}

func (a *ProgArray) getNextKey(key []byte) ([]byte, Errno) {
	out := make([]byte, 4)
	if key == nil {
		return out, OK
	}
	i := a.index(key)
	if i >= uint32(len(a.slots)) {
		return out, OK
	}
	if i == uint32(len(a.slots))-1 {
		return nil, a.m.fail("next", ENOENT, "last index")
	}
	binary.LittleEndian.PutUint32(out, i+1)
	return out, OK
}

func (a *ProgArray) lookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	return nil, a.m.fail("lookup_and_delete", ENOTSUPP, "prog_array has no lookup_and_delete")
}

func (a *ProgArray) count() int {
	n := 0
	for _, p := range a.slots {
		if p != nil {
			n++
		}
	}
	return n
}

func (a *ProgArray) clone(m *Map) mapOps {
	c := *a
	c.m = m
	c.slots = append([]Program(nil), a.slots...)
	return &c
}

// Claim fixes the array's owner program type if it has none, and reports
// whether programs of type t are compatible with the owner. Loading a
// program that refers to the array claims it too, as the kernel's
// bpf_prog_map_compatible does.
func (a *ProgArray) Claim(t ProgType) bool {
	if !a.owned {
		a.owned, a.ownerType = true, t
		return true
	}
	return a.ownerType == t
}

// Owner returns the owner program type, if one is fixed.
func (a *ProgArray) Owner() (ProgType, bool) { return a.ownerType, a.owned }

// Slot returns the program in slot i (nil when empty or out of range).
func (a *ProgArray) Slot(i uint32) Program {
	if i >= uint32(len(a.slots)) {
		return nil
	}
	return a.slots[i]
}

// ProgArray returns the family state of a PROG_ARRAY map, or nil.
func (m *Map) ProgArray() *ProgArray {
	a, _ := m.ops.(*ProgArray)
	return a
}

// ProgSlot is one slot of a ProgArrayView.
type ProgSlot struct {
	Index uint32 `json:"index"`
	Prog  string `json:"prog,omitempty"` // empty: no program
	ID    uint32 `json:"id,omitempty"`
}

// ProgArrayView is what the UI draws: every slot and its program's name.
type ProgArrayView struct {
	Owner string     `json:"owner,omitempty"`
	Slots []ProgSlot `json:"slots"`
}

// View returns the slots with program names.
func (a *ProgArray) View() ProgArrayView {
	v := ProgArrayView{Slots: make([]ProgSlot, len(a.slots))}
	if a.owned {
		v.Owner = a.ownerType.String()
	}
	for i, p := range a.slots {
		v.Slots[i].Index = uint32(i)
		if p != nil {
			v.Slots[i].Prog = p.ProgName()
			v.Slots[i].ID = a.m.world.ProgID(p)
		}
	}
	return v
}
