package sim

import (
	"encoding/binary"
	"fmt"
)

// This file models kernel/bpf/arraymap.c for ARRAY and PERCPU_ARRAY
// (kernel-semantics §7), written from the algorithm description.
//
// Every element exists from creation and reads as zero. Storage is
// allocated by use: small arrays get one flat buffer at create time, large
// ones get fixed-size pages on first write or program lookup, so an array
// of 2^31 entries costs nothing until touched. Pages never move, so the
// slice a program lookup returns stays live.

// arrayCreateFlags is ARRAY_CREATE_FLAG_MASK.
const arrayCreateFlags = FlagNumaNode | FlagMmapable | FlagRdonly | FlagWronly | FlagRdonlyProg |
	FlagWronlyProg | FlagPreserveElems | FlagInnerMap

// arrayFlatLimit: arrays whose storage fits in this many bytes are one
// flat buffer allocated at create time.
const arrayFlatLimit = 1 << 20

func init() {
	for _, t := range []MapType{MapArray, MapPercpuArray} {
		registerMapType(t, mapType{
			allocCheck: func(a *MapAttr, _ *World) (Errno, string) { return arrayAllocCheck(a) },
			alloc:      arrayAlloc,
		})
	}
}

// arrayAllocCheck is array_map_alloc_check, in the kernel's order. The
// fd-array families (prog_array, perf_event_array, cgroup_array,
// array_of_maps) reuse it after their own checks, as fd_array_map_alloc_check
// does: value_size must be 4 and RDONLY_PROG/WRONLY_PROG are refused first
// (see fdArrayAllocCheck).
func arrayAllocCheck(a *MapAttr) (Errno, string) {
	percpu := a.Type == MapPercpuArray
	switch {
	case a.MaxEntries == 0:
		return EINVAL, "max_entries must be non-zero"
	case a.KeySize != 4:
		return EINVAL, fmt.Sprintf("an array's key is a u32 index: key_size must be 4, not %d", a.KeySize)
	case a.ValueSize == 0:
		return EINVAL, "value_size must be non-zero"
	case a.Flags&^arrayCreateFlags != 0:
		return EINVAL, fmt.Sprintf("flags %s are not allowed on an array (allowed: numa_node, mmapable, rdonly/wronly(_prog), preserve_elems, inner_map)", FormatMapFlags(a.Flags&^arrayCreateFlags))
	case !mapFlagsAccessOK(a.Flags):
		return EINVAL, "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together"
	case percpu && a.Flags&FlagNumaNode != 0:
		return EINVAL, "BPF_F_NUMA_NODE on a per-CPU array"
	}
	if a.Type != MapArray && a.Flags&(FlagMmapable|FlagInnerMap) != 0 {
		return EINVAL, "BPF_F_MMAPABLE and BPF_F_INNER_MAP are only for BPF_MAP_TYPE_ARRAY"
	}
	if a.Type != MapPerfEventArray && a.Flags&FlagPreserveElems != 0 {
		return EINVAL, "BPF_F_PRESERVE_ELEMS is only for perf_event_array"
	}
	if a.ValueSize > 1<<31-1 {
		return E2BIG, fmt.Sprintf("value_size %d exceeds INT_MAX", a.ValueSize)
	}
	if percpu && roundUp64(uint64(a.ValueSize), 8) > pcpuMinUnitSize {
		return E2BIG, fmt.Sprintf("per-CPU value of %d bytes (rounded to 8) exceeds PCPU_MIN_UNIT_SIZE %d", a.ValueSize, pcpuMinUnitSize)
	}
	return OK, ""
}

// fdArrayAllocCheck is fd_array_map_alloc_check for the fd-array families:
// the value is an fd (4 bytes) and program access flags are refused, then
// the common array checks apply.
func fdArrayAllocCheck(a *MapAttr) (Errno, string) {
	if a.ValueSize != 4 {
		return EINVAL, fmt.Sprintf("the value of an fd array is a 4-byte fd, not %d bytes", a.ValueSize)
	}
	if a.Flags&(FlagRdonlyProg|FlagWronlyProg) != 0 {
		return EINVAL, "BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG are not supported on fd arrays"
	}
	return arrayAllocCheck(a)
}

// arrayAllocSize is the memory array_map_alloc asks for, for the ENOMEM
// model (simTotalRAM): the element area (per-CPU: the pointer table and
// every CPU's copy).
func arrayAllocSize(a *Map, ncpu int) uint64 {
	elem := roundUp64(uint64(a.ValueSize), 8)
	n := uint64(a.MaxEntries)
	if a.Type == MapPercpuArray {
		return n*8 + n*elem*uint64(ncpu)
	}
	if a.Flags&FlagMmapable != 0 {
		return roundUp64(n*elem, 4096) + 4096
	}
	return n * elem
}

func arrayAlloc(m *Map) (mapOps, Errno, string) {
	ncpu := m.world.PossibleCPUs()
	// The simulated user has CAP_PERFMON (bypass_spec_v1), so the array is
	// not rounded up to a power of two and that overflow (E2BIG) cannot
	// happen; only the size itself can fail.
	if sz := arrayAllocSize(m, ncpu); sz > simTotalRAM {
		return nil, ENOMEM, fmt.Sprintf("%d bytes of elements exceed the machine's memory", sz)
	}
	if e, why := spinLockCheck(m); e != OK {
		return nil, e, why
	}
	a := &Arraymap{m: m, percpu: m.Type == MapPercpuArray, max: m.MaxEntries, vs: int(m.ValueSize), ncpu: ncpu}
	a.stride = int(roundUp(m.ValueSize, 8))
	a.eb = a.stride
	if a.percpu {
		a.eb = a.stride * ncpu
	}
	total := uint64(a.max) * uint64(a.eb)
	if total <= arrayFlatLimit {
		a.flat = make([]byte, total)
	} else {
		per := 65536 / a.eb
		if per < 1 {
			per = 1
		}
		shift := uint(0)
		for 1<<(shift+1) <= per && shift < 12 {
			shift++
		}
		a.pageShift = shift
		a.pages = map[uint32][]byte{}
	}
	return a, OK, ""
}

// Arraymap is the state of an ARRAY or PERCPU_ARRAY. Views reach it through
// m.Ops().(*Arraymap).
type Arraymap struct {
	m      *Map
	percpu bool
	max    uint32
	vs     int // value_size
	stride int // round_up(value_size, 8): the kernel's elem_size
	eb     int // bytes per element: stride, or stride * CPUs
	ncpu   int

	flat      []byte
	pages     map[uint32][]byte // page index -> 1<<pageShift elements
	pageShift uint
}

// elem returns element i's storage; with materialize false a page that was
// never touched gives nil (all zero).
func (a *Arraymap) elem(i uint32, materialize bool) []byte {
	if a.flat != nil || a.pages == nil {
		off := int(i) * a.eb
		return a.flat[off : off+a.eb : off+a.eb]
	}
	p := i >> a.pageShift
	page, ok := a.pages[p]
	if !ok {
		if !materialize {
			return nil
		}
		page = make([]byte, a.eb<<a.pageShift)
		a.pages[p] = page
	}
	off := int(i&(1<<a.pageShift-1)) * a.eb
	return page[off : off+a.eb : off+a.eb]
}

// index decodes the u32 key and reports the bounds check.
func (a *Arraymap) index(key []byte) (uint32, bool) {
	if len(key) != 4 {
		return 0, false
	}
	i := binary.LittleEndian.Uint32(key)
	if a.m.world.Emitting() {
		a.m.emit(ArrayIndexEvent{Map: a.m.Name, Index: i, MaxEntries: a.max, InRange: i < a.max})
	}
	return i, i < a.max
}

// read copies element i as the syscall returns it.
func (a *Arraymap) read(i uint32) []byte {
	if a.percpu {
		out := make([]byte, a.eb)
		if e := a.elem(i, false); e != nil {
			copy(out, e)
		}
		return out
	}
	out := make([]byte, a.vs)
	if e := a.elem(i, false); e != nil {
		copy(out, e)
	}
	clearLockField(a.m, out)
	return out
}

func (a *Arraymap) lookup(key []byte, src Source) ([]byte, Errno) {
	i, ok := a.index(key)
	if !ok {
		return nil, htabFailf(a.m, "lookup", ENOENT, "index %d is not below max_entries %d", i, a.max)
	}
	if src == Syscall {
		return a.read(i), OK
	}
	e := a.elem(i, true)
	if a.percpu {
		c := a.m.world.CPU() * a.stride
		return e[c : c+a.vs : c+a.vs], OK
	}
	return e[:a.vs:a.vs], OK
}

func (a *Arraymap) lookupPercpu(key []byte, cpu int) ([]byte, Errno) {
	if !a.percpu {
		return nil, a.m.fail("lookup_percpu", EINVAL, "bpf_map_lookup_percpu_elem needs a per-CPU map")
	}
	if cpu < 0 || cpu >= a.ncpu {
		return nil, ENOENT
	}
	i, ok := a.index(key)
	if !ok {
		return nil, ENOENT
	}
	c := cpu * a.stride
	return a.elem(i, true)[c : c+a.vs : c+a.vs], OK
}

func (a *Arraymap) update(key, value []byte, flags uint64, src Source) Errno {
	m := a.m
	if a.percpu && src == Syscall {
		// bpf_percpu_array_update: no BPF_F_LOCK at all.
		if flags > UpdateExist {
			return htabFailf(m, "update", EINVAL, "flags %#x: a per-CPU array takes BPF_ANY or BPF_EXIST", flags)
		}
	} else if flags&^UpdateLock > UpdateExist {
		return htabFailf(m, "update", EINVAL, "flags %#x: only BPF_ANY, BPF_NOEXIST, BPF_EXIST and BPF_F_LOCK exist", flags)
	}
	i, ok := a.index(key)
	if !ok {
		return htabFailf(m, "update", E2BIG, "index %d is not below max_entries %d", i, a.max)
	}
	if flags&UpdateNoExist != 0 {
		return m.fail("update", EEXIST, "BPF_NOEXIST: every array element always exists")
	}
	if flags&UpdateLock != 0 && !m.SpinLock {
		return m.fail("update", EINVAL, "BPF_F_LOCK but the value has no bpf_spin_lock")
	}
	e := a.elem(i, true)
	switch {
	case a.percpu && src == Syscall:
		copy(e, value) // every CPU's copy, padding included
	case a.percpu:
		c := m.world.CPU() * a.stride
		copy(e[c:c+a.vs], value)
	default:
		copyValueSkipLock(m, e[:a.vs], value)
	}
	return OK
}

func (a *Arraymap) delete(key []byte, src Source) Errno {
	return a.m.fail("delete", EINVAL, "array elements cannot be deleted")
}

func (a *Arraymap) lookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	if flags&UpdateLock != 0 && !a.m.SpinLock {
		return nil, a.m.fail("lookup_and_delete", EINVAL, "BPF_F_LOCK but the value has no bpf_spin_lock")
	}
	return nil, a.m.fail("lookup_and_delete", ENOTSUPP, "arrays do not support lookup_and_delete")
}

// getNextKey: NULL or an index past the end gives 0, the last index gives
// ENOENT, anything else index+1.
func (a *Arraymap) getNextKey(key []byte) ([]byte, Errno) {
	i := uint32(0xffffffff)
	if key != nil {
		if len(key) != 4 {
			return nil, a.m.fail("next", EINVAL, "an array key is 4 bytes")
		}
		i = binary.LittleEndian.Uint32(key)
	}
	if i >= a.max {
		return binary.LittleEndian.AppendUint32(nil, 0), OK
	}
	if i == a.max-1 {
		return nil, a.m.fail("next", ENOENT, "the last index has no successor")
	}
	return binary.LittleEndian.AppendUint32(nil, i+1), OK
}

// count is the number of elements: all of them, always.
func (a *Arraymap) count() int { return int(a.max) }

func (a *Arraymap) clone(m *Map) mapOps {
	c := *a
	c.m = m
	if a.flat != nil {
		c.flat = append([]byte(nil), a.flat...)
	}
	if a.pages != nil {
		c.pages = make(map[uint32][]byte, len(a.pages))
		for k, p := range a.pages {
			c.pages[k] = append([]byte(nil), p...)
		}
	}
	return &c
}

// MaxEntries is the number of elements.
func (a *Arraymap) MaxEntries() uint32 { return a.max }

// Percpu reports whether values are kept per CPU.
func (a *Arraymap) Percpu() bool { return a.percpu }

// Value returns a copy of element i as the syscall would return it (every
// CPU's copy, strided by round_up(value_size, 8), for PERCPU_ARRAY); nil if
// i is out of range.
func (a *Arraymap) Value(i uint32) []byte {
	if i >= a.max {
		return nil
	}
	return a.read(i)
}

// Values returns copies of elements from, from+1, ... (at most n).
func (a *Arraymap) Values(from uint32, n int) [][]byte {
	var out [][]byte
	for i := uint64(from); i < uint64(a.max) && len(out) < n; i++ {
		out = append(out, a.read(uint32(i)))
	}
	return out
}

// ArrayIndexEvent: an array key was decoded and bounds-checked.
type ArrayIndexEvent struct {
	_ noCompare

	Map        string `json:"map"`
	Index      uint32 `json:"index"`
	MaxEntries uint32 `json:"max_entries"`
	InRange    bool   `json:"in_range"`
}

func (ArrayIndexEvent) Kind() string { return "array.index" }
func (e ArrayIndexEvent) String() string {
	if e.InRange {
		return fmt.Sprintf("%s: index %d < max_entries %d", e.Map, e.Index, e.MaxEntries)
	}
	return fmt.Sprintf("%s: index %d is out of range (max_entries %d)", e.Map, e.Index, e.MaxEntries)
}
