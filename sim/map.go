package sim

import "fmt"

// Source says who performs an operation. The kernel runs different code for
// the bpf(2) syscall and for a BPF program's helper call: only datapath
// lookups set the LRU reference bit, a program's per-CPU update writes only
// the current CPU's copy, and fd permissions bind the syscall side only.
type Source int

const (
	Syscall Source = iota // bpf(2) from user space
	Prog                  // a helper called by a BPF program on the current CPU
)

func (s Source) String() string {
	if s == Prog {
		return "bpf"
	}
	return "syscall"
}

// mapOps is the counterpart of the kernel's struct bpf_map_ops: the
// operations of one map family. Each family implements it in one file named
// after the kernel file it models (hashtab.go, arraymap.go, lpm_trie.go, ...)
// and registers its types in the type table with registerMapType.
//
// The generic syscall checks (fd permissions, freeze, NULL keys, flag masks
// common to every type) are done by Map before these are called.
type mapOps interface {
	// lookup copies the value out for Syscall (every CPU's copy, each padded
	// to round_up(value_size, 8), for per-CPU maps). For Prog it returns the
	// live storage of the current CPU's copy, so writes through it change
	// the map, as a pointer returned by bpf_map_lookup_elem does.
	lookup(key []byte, src Source) ([]byte, Errno)
	update(key, value []byte, flags uint64, src Source) Errno
	delete(key []byte, src Source) Errno
	// getNextKey implements BPF_MAP_GET_NEXT_KEY; key nil means NULL.
	getNextKey(key []byte) ([]byte, Errno)
	lookupAndDelete(key []byte, flags uint64) ([]byte, Errno)
	// count is the number of elements the map holds now.
	count() int
	// clone deep-copies the family's state for the new Map m.
	clone(m *Map) mapOps
}

// mapType is one row of the type table: the kernel's map_alloc_check and
// map_alloc for one map type. allocCheck gets the attributes only;
// alloc builds the family's state and may still fail (E2BIG, ENOMEM).
type mapType struct {
	allocCheck func(a *MapAttr, w *World) (Errno, string)
	alloc      func(m *Map) (mapOps, Errno, string)
}

var mapTypes = map[MapType]mapType{}

// registerMapType adds a row to the type table. Families call it from init.
func registerMapType(t MapType, mt mapType) {
	if _, dup := mapTypes[t]; dup {
		panic(fmt.Sprintf("sim: map type %v registered twice", t))
	}
	mapTypes[t] = mt
}

// Simulated reports whether the simulator implements a map type.
func Simulated(t MapType) bool {
	_, ok := mapTypes[t]
	return ok
}

// MapAttr is the part of union bpf_attr that BPF_MAP_CREATE reads.
type MapAttr struct {
	Name       string
	Type       MapType
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	MapExtra   uint64
	InnerMapFD int // 0 means none, as in the kernel

	// Seed is our extension: a fixed hashrnd for hash-family maps (the
	// scenario's seed=N). Nil means random from the World's PRNG, unless
	// BPF_F_ZERO_SEED asks for 0.
	Seed *uint32
	// SpinLock stands in for BTF: the value holds a struct bpf_spin_lock
	// (4 bytes) at SpinLockOff, which enables BPF_F_LOCK and the
	// bpf_spin_lock helpers (the scenario's lock=OFF).
	SpinLock    bool
	SpinLockOff uint32
}

// Map is one simulated BPF map: its attributes, its fd permissions and its
// family's state.
type Map struct {
	ID         uint32
	FD         int
	Name       string
	Type       MapType
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32 // after any kernel adjustment (NO_COMMON_LRU rounding)
	Flags      uint32
	MapExtra   uint64
	// Seed is the hash seed (hashrnd) of hash-family maps; always shown.
	Seed uint32
	// Inner is the template map of a map-in-map ("inner_map_meta").
	Inner *Map
	// SpinLock and SpinLockOff: see MapAttr.
	SpinLock    bool
	SpinLockOff uint32

	frozen bool
	world  *World
	ops    mapOps
}

// World returns the World the map lives in.
func (m *Map) World() *World { return m.world }

// Frozen reports whether BPF_MAP_FREEZE was applied.
func (m *Map) Frozen() bool { return m.frozen }

// Len is the number of elements in the map.
func (m *Map) Len() int { return m.ops.count() }

// Ops exposes the family state to views and tests in this module through a
// type switch (for example *Hashtab); it is read-only by convention.
func (m *Map) Ops() any { return m.ops }

// PercpuValueSize is round_up(value_size, 8): the stride of one CPU's copy
// in a syscall buffer of a per-CPU map.
func (m *Map) PercpuValueSize() int { return int(roundUp(m.ValueSize, 8)) }

// IsPercpu reports whether values are kept per CPU.
func (m *Map) IsPercpu() bool {
	switch m.Type {
	case MapPercpuHash, MapPercpuArray, MapLRUPercpuHash, MapPercpuCgroupStorage:
		return true
	}
	return false
}

// SyscallValueSize is the size of the value buffer bpf(2) uses for this map.
func (m *Map) SyscallValueSize() int {
	if m.IsPercpu() {
		return m.PercpuValueSize() * m.world.PossibleCPUs()
	}
	return int(m.ValueSize)
}

func (m *Map) emit(e Event) { m.world.Emit(e) }

// fail emits why an operation failed and returns the errno.
func (m *Map) fail(op string, e Errno, reason string) Errno {
	if m.world.sink != nil {
		m.emit(ErrnoEvent{Map: m.Name, Op: op, Errno: e, Name: e.String(), Reason: reason})
	}
	return e
}

func (m *Map) readable() bool     { return m.Flags&FlagWronly == 0 }
func (m *Map) writable() bool     { return m.Flags&FlagRdonly == 0 && !m.frozen }
func (m *Map) keyless() bool      { return m.KeySize == 0 }
func roundUp(v, to uint32) uint32 { return (v + to - 1) / to * to }

// checkKey applies the syscall layer's rule for the key pointer: key-less
// maps (queue, stack, bloom, ringbuf) need NULL, others need a key.
func (m *Map) checkKey(op string, key []byte, nullOK bool) Errno {
	if m.keyless() {
		if key != nil {
			return m.fail(op, EINVAL, "this map type has no keys: the key must be NULL")
		}
		return OK
	}
	if key == nil {
		if nullOK {
			return OK
		}
		return m.fail(op, EFAULT, "NULL key pointer")
	}
	if len(key) != int(m.KeySize) {
		return m.fail(op, EFAULT, fmt.Sprintf("key is %d bytes, key_size is %d", len(key), m.KeySize))
	}
	return OK
}

// Lookup is BPF_MAP_LOOKUP_ELEM from user space.
func (m *Map) Lookup(key []byte, flags uint64) ([]byte, Errno) {
	if flags&^UpdateLock != 0 {
		return nil, m.fail("lookup", EINVAL, "unknown lookup flags")
	}
	if !m.readable() {
		return nil, m.fail("lookup", EPERM, "the fd is write-only (BPF_F_WRONLY)")
	}
	if flags&UpdateLock != 0 && !m.SpinLock {
		return nil, m.fail("lookup", EINVAL, "BPF_F_LOCK but the value has no bpf_spin_lock")
	}
	if e := m.checkKey("lookup", key, false); e != OK {
		return nil, e
	}
	return m.ops.lookup(key, Syscall)
}

// Update is BPF_MAP_UPDATE_ELEM from user space. For per-CPU maps value is
// the whole syscall buffer: one round_up(value_size, 8) slot per CPU.
func (m *Map) Update(key, value []byte, flags uint64) Errno {
	if !m.writable() {
		if m.frozen {
			return m.fail("update", EPERM, "the map is frozen: user space may not write it")
		}
		return m.fail("update", EPERM, "the fd is read-only (BPF_F_RDONLY)")
	}
	if flags&UpdateLock != 0 && !m.SpinLock {
		return m.fail("update", EINVAL, "BPF_F_LOCK but the value has no bpf_spin_lock")
	}
	if e := m.checkKey("update", key, false); e != OK {
		return e
	}
	if len(value) != m.SyscallValueSize() {
		return m.fail("update", EFAULT, fmt.Sprintf("value is %d bytes, the syscall buffer is %d", len(value), m.SyscallValueSize()))
	}
	return m.ops.update(key, value, flags, Syscall)
}

// Delete is BPF_MAP_DELETE_ELEM from user space.
func (m *Map) Delete(key []byte) Errno {
	if !m.writable() {
		if m.frozen {
			return m.fail("delete", EPERM, "the map is frozen: user space may not write it")
		}
		return m.fail("delete", EPERM, "the fd is read-only (BPF_F_RDONLY)")
	}
	if e := m.checkKey("delete", key, false); e != OK {
		return e
	}
	return m.ops.delete(key, Syscall)
}

// GetNextKey is BPF_MAP_GET_NEXT_KEY; a nil key asks for the first key.
func (m *Map) GetNextKey(key []byte) ([]byte, Errno) {
	if !m.readable() {
		return nil, m.fail("next", EPERM, "the fd is write-only (BPF_F_WRONLY)")
	}
	if e := m.checkKey("next", key, true); e != OK {
		return nil, e
	}
	return m.ops.getNextKey(key)
}

// LookupAndDelete is BPF_MAP_LOOKUP_AND_DELETE_ELEM (pop for queue and stack).
func (m *Map) LookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	if flags&^UpdateLock != 0 {
		return nil, m.fail("lookup_and_delete", EINVAL, "unknown flags")
	}
	if !m.readable() || !m.writable() {
		return nil, m.fail("lookup_and_delete", EPERM, "needs an fd that may both read and write")
	}
	if flags != 0 && (m.Type == MapQueue || m.Type == MapStack) {
		return nil, m.fail("lookup_and_delete", EINVAL, "pop takes no flags")
	}
	if flags&UpdateLock != 0 && !m.SpinLock {
		return nil, m.fail("lookup_and_delete", EINVAL, "BPF_F_LOCK but the value has no bpf_spin_lock")
	}
	if e := m.checkKey("lookup_and_delete", key, false); e != OK {
		return nil, e
	}
	return m.ops.lookupAndDelete(key, flags)
}

// Freeze is BPF_MAP_FREEZE. It removes user-space write permission; a
// second freeze finds no write permission and returns EPERM, as 6.18 does.
func (m *Map) Freeze() Errno {
	if !m.writable() {
		return m.fail("freeze", EPERM, "no write permission (already frozen, or a read-only fd)")
	}
	m.frozen = true
	return OK
}

// Push is BPF_MAP_UPDATE_ELEM with a NULL key (queue, stack, bloom filter).
func (m *Map) Push(value []byte, flags uint64) Errno { return m.Update(nil, value, flags) }

// Pop is BPF_MAP_LOOKUP_AND_DELETE_ELEM with a NULL key.
func (m *Map) Pop() ([]byte, Errno) { return m.LookupAndDelete(nil, 0) }

// Peek is BPF_MAP_LOOKUP_ELEM with a NULL key.
func (m *Map) Peek() ([]byte, Errno) { return m.Lookup(nil, 0) }

// ProgLookup is bpf_map_lookup_elem from a program on the current CPU. It
// returns the live value storage (nil and ENOENT when the key is missing),
// and sets the LRU reference bit where the kernel does.
func (m *Map) ProgLookup(key []byte) ([]byte, Errno) { return m.ops.lookup(key, Prog) }

// ProgUpdate is bpf_map_update_elem from a program; value is one CPU's value.
func (m *Map) ProgUpdate(key, value []byte, flags uint64) Errno {
	return m.ops.update(key, value, flags, Prog)
}

// ProgDelete is bpf_map_delete_elem from a program.
func (m *Map) ProgDelete(key []byte) Errno { return m.ops.delete(key, Prog) }

func (m *Map) clone(w *World) *Map {
	c := *m
	c.world = w
	if m.Inner != nil {
		c.Inner = m.Inner.cloneDetached(w)
	}
	c.ops = m.ops.clone(&c)
	return &c
}

// cloneDetached copies a template map that is not registered in any World.
func (m *Map) cloneDetached(w *World) *Map {
	c := *m
	c.world = w
	c.ops = m.ops.clone(&c)
	return &c
}
