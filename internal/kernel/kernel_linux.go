//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/bpfplay/bpfplay/sim"
)

// bpf(2) commands used here.
const (
	cmdMapCreate          = 0
	cmdMapLookupElem      = 1
	cmdMapUpdateElem      = 2
	cmdMapDeleteElem      = 3
	cmdMapGetNextKey      = 4
	cmdObjGetInfoByFD     = 15
	cmdMapLookupAndDelete = 21
	cmdMapFreeze          = 22
)

// Map flags.
const (
	FlagNoPrealloc  = 1 << 0
	FlagNoCommonLRU = 1 << 1
	FlagRdonly      = 1 << 3
	FlagWronly      = 1 << 4
	FlagZeroSeed    = 1 << 6
	FlagInnerMap    = 1 << 12
)

func bpf(cmd int, attr unsafe.Pointer, size uintptr) (uintptr, unix.Errno) {
	r, _, e := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	return r, e
}

// Attr is the part of union bpf_attr that BPF_MAP_CREATE reads.
type Attr struct {
	Type       uint32
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	InnerMapFD int // a kernel fd; 0 means none
	Name       string
	MapExtra   uint64
}

// createAttr mirrors the layout of union bpf_attr for BPF_MAP_CREATE up to
// map_extra (72 bytes).
type createAttr struct {
	mapType        uint32
	keySize        uint32
	valueSize      uint32
	maxEntries     uint32
	mapFlags       uint32
	innerMapFD     uint32
	numaNode       uint32
	mapName        [16]byte
	mapIfindex     uint32
	btfFD          uint32
	btfKeyTypeID   uint32
	btfValueTypeID uint32
	btfVmlinuxVal  uint32
	mapExtra       uint64
}

// elemAttr mirrors union bpf_attr for the element commands.
type elemAttr struct {
	mapFD uint32
	_     uint32
	key   uint64
	value uint64 // or next_key
	flags uint64
}

// Map is an open kernel map fd with the sizes needed for syscall buffers.
type Map struct {
	FD         int
	Type       uint32
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32 // as reported by the kernel (NO_COMMON_LRU rounds it)
	Flags      uint32
	// ValueBuf is the size of the syscall value buffer: value_size, or
	// round_up(value_size, 8) * possible CPUs for per-CPU maps.
	ValueBuf int
}

// CreateMap is raw BPF_MAP_CREATE. On success the map must be closed.
func CreateMap(a Attr) (*Map, unix.Errno) {
	ca := createAttr{
		mapType: a.Type, keySize: a.KeySize, valueSize: a.ValueSize,
		maxEntries: a.MaxEntries, mapFlags: a.Flags, innerMapFD: uint32(a.InnerMapFD),
		mapExtra: a.MapExtra,
	}
	copy(ca.mapName[:], a.Name) // a 16-byte name has no NUL: the kernel says EINVAL
	r, e := bpf(cmdMapCreate, unsafe.Pointer(&ca), unsafe.Sizeof(ca))
	if e != 0 {
		return nil, e
	}
	m := &Map{FD: int(r), Type: a.Type, KeySize: a.KeySize, ValueSize: a.ValueSize, MaxEntries: a.MaxEntries, Flags: a.Flags}
	if info, e := MapInfoByFD(m.FD); e == 0 {
		m.MaxEntries = info.MaxEntries
	}
	m.ValueBuf = int(a.ValueSize)
	switch sim.MapType(a.Type) {
	case sim.MapPercpuHash, sim.MapPercpuArray, sim.MapLRUPercpuHash, sim.MapPercpuCgroupStorage:
		m.ValueBuf = int((a.ValueSize+7)/8*8) * PossibleCPUs()
	}
	return m, 0
}

// Close closes the map fd.
func (m *Map) Close() error {
	if m == nil || m.FD < 0 {
		return nil
	}
	err := unix.Close(m.FD)
	m.FD = -1
	return err
}

func ptr(b []byte) uint64 {
	if b == nil {
		return 0
	}
	if len(b) == 0 {
		// A non-NULL pointer to nothing: point at a static byte.
		return uint64(uintptr(unsafe.Pointer(&zeroByte)))
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))
}

var zeroByte [8]byte

func (m *Map) elem(cmd int, key, value []byte, flags uint64) unix.Errno {
	a := elemAttr{mapFD: uint32(m.FD), key: ptr(key), value: ptr(value), flags: flags}
	_, e := bpf(cmd, unsafe.Pointer(&a), unsafe.Sizeof(a))
	runtime.KeepAlive(key)
	runtime.KeepAlive(value)
	return e
}

// pad returns key padded or cut to n bytes when non-nil, so that the kernel
// never reads past a Go buffer.
func pad(b []byte, n int) []byte {
	if b == nil || len(b) == n {
		return b
	}
	c := make([]byte, n)
	copy(c, b)
	return c
}

// Lookup is BPF_MAP_LOOKUP_ELEM; key nil passes NULL.
func (m *Map) Lookup(key []byte, flags uint64) ([]byte, unix.Errno) {
	val := make([]byte, m.ValueBuf)
	if e := m.elem(cmdMapLookupElem, pad(key, int(m.KeySize)), val, flags); e != 0 {
		return nil, e
	}
	return val, 0
}

// Update is BPF_MAP_UPDATE_ELEM; key nil passes NULL. value must be
// ValueBuf bytes (it is padded if shorter).
func (m *Map) Update(key, value []byte, flags uint64) unix.Errno {
	return m.elem(cmdMapUpdateElem, pad(key, int(m.KeySize)), pad(value, m.ValueBuf), flags)
}

// Delete is BPF_MAP_DELETE_ELEM.
func (m *Map) Delete(key []byte) unix.Errno {
	return m.elem(cmdMapDeleteElem, pad(key, int(m.KeySize)), nil, 0)
}

// NextKey is BPF_MAP_GET_NEXT_KEY; key nil asks for the first key.
func (m *Map) NextKey(key []byte) ([]byte, unix.Errno) {
	next := make([]byte, max(int(m.KeySize), 1))
	if e := m.elem(cmdMapGetNextKey, pad(key, int(m.KeySize)), next, 0); e != 0 {
		return nil, e
	}
	return next[:m.KeySize], 0
}

// LookupAndDelete is BPF_MAP_LOOKUP_AND_DELETE_ELEM.
func (m *Map) LookupAndDelete(key []byte, flags uint64) ([]byte, unix.Errno) {
	val := make([]byte, max(m.ValueBuf, 1))
	if e := m.elem(cmdMapLookupAndDelete, pad(key, int(m.KeySize)), val, flags); e != 0 {
		return nil, e
	}
	return val[:m.ValueBuf], 0
}

// Freeze is BPF_MAP_FREEZE.
func (m *Map) Freeze() unix.Errno {
	a := elemAttr{mapFD: uint32(m.FD)}
	_, e := bpf(cmdMapFreeze, unsafe.Pointer(&a), unsafe.Sizeof(a))
	return e
}

// Push is update with a NULL key (queue, stack, bloom filter).
func (m *Map) Push(value []byte, flags uint64) unix.Errno { return m.Update(nil, value, flags) }

// Pop is lookup_and_delete with a NULL key.
func (m *Map) Pop(flags uint64) ([]byte, unix.Errno) { return m.LookupAndDelete(nil, flags) }

// Peek is lookup with a NULL key.
func (m *Map) Peek() ([]byte, unix.Errno) { return m.Lookup(nil, 0) }

// Walk follows get_next_key from NULL until ENOENT (or another errno) and
// returns the keys in order with the errno that ended the walk. It stops
// after limit steps (a bound against kernels that never end a walk).
func (m *Map) Walk(limit int) ([][]byte, unix.Errno) {
	var keys [][]byte
	var cur []byte
	for i := 0; i < limit; i++ {
		next, e := m.NextKey(cur)
		if e != 0 {
			return keys, e
		}
		keys = append(keys, next)
		cur = next
	}
	return keys, unix.E2BIG
}

// MapInfo is the part of struct bpf_map_info the tests use.
type MapInfo struct {
	Type       uint32
	ID         uint32
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
}

// MapInfoByFD is BPF_OBJ_GET_INFO_BY_FD for a map.
func MapInfoByFD(fd int) (MapInfo, unix.Errno) {
	var info struct {
		MapInfo
		name [16]byte
		rest [64]byte
	}
	a := struct {
		fd      uint32
		infoLen uint32
		info    uint64
	}{uint32(fd), uint32(unsafe.Sizeof(info)), uint64(uintptr(unsafe.Pointer(&info)))}
	_, e := bpf(cmdObjGetInfoByFD, unsafe.Pointer(&a), unsafe.Sizeof(a))
	runtime.KeepAlive(&info)
	return info.MapInfo, e
}

// Errno extracts the unix.Errno from an error (cilium wraps it); 0 for nil,
// and EINVAL+0x10000 when the error carries none (never a real errno).
func Errno(err error) unix.Errno {
	if err == nil {
		return 0
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return unix.Errno(0x10000 | uint32(unix.EINVAL))
}

// ToSim converts a kernel errno to the simulator's (the numbers are Linux's).
func ToSim(e unix.Errno) sim.Errno { return sim.Errno(e) }

// AttrFromSim converts a simulator create attribute. innerFD is the kernel
// fd standing for a.InnerMapFD (ignored when a.InnerMapFD is 0).
func AttrFromSim(a sim.MapAttr, innerFD int) Attr {
	k := Attr{
		Type: uint32(a.Type), KeySize: a.KeySize, ValueSize: a.ValueSize,
		MaxEntries: a.MaxEntries, Flags: a.Flags, Name: a.Name, MapExtra: a.MapExtra,
	}
	if a.InnerMapFD != 0 {
		k.InnerMapFD = innerFD
	}
	return k
}

// SimAttr converts a kernel create attribute to the simulator's. innerFD is
// the simulator fd standing for a.InnerMapFD.
func SimAttr(a Attr, innerFD int) sim.MapAttr {
	s := sim.MapAttr{
		Name: a.Name, Type: sim.MapType(a.Type), KeySize: a.KeySize, ValueSize: a.ValueSize,
		MaxEntries: a.MaxEntries, Flags: a.Flags, MapExtra: a.MapExtra,
	}
	if a.InnerMapFD != 0 {
		s.InnerMapFD = innerFD
	}
	return s
}

var possibleCPUs = sync.OnceValue(func() int {
	n, err := ebpf.PossibleCPU()
	if err != nil || n < 1 {
		n = runtime.NumCPU()
	}
	return n
})

// PossibleCPUs is the kernel's num_possible_cpus().
func PossibleCPUs() int { return possibleCPUs() }

// Require skips the test unless bpf(2) works here: it creates a one-entry
// ZERO_SEED hash. EPERM, EACCES and ENOSYS skip; anything else fails. With
// BPFPLAY_REQUIRE_ORACLE=1 every reason to skip fails the test instead.
// BPF_ORACLE=0 skips (unless the oracle is required).
func Require(t testing.TB) {
	t.Helper()
	required := os.Getenv("BPFPLAY_REQUIRE_ORACLE") == "1"
	skip := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if required {
			t.Fatalf("kernel oracle required (BPFPLAY_REQUIRE_ORACLE=1) but unavailable: %s", msg)
		}
		t.Skipf("kernel oracle unavailable: %s", msg)
	}
	if os.Getenv("BPF_ORACLE") == "0" {
		skip("BPF_ORACLE=0")
	}
	m, e := CreateMap(Attr{Type: uint32(sim.MapHash), KeySize: 4, ValueSize: 4, MaxEntries: 1, Flags: FlagZeroSeed})
	switch e {
	case 0:
		m.Close()
	case unix.EPERM, unix.EACCES, unix.ENOSYS, unix.EOPNOTSUPP:
		skip("bpf(BPF_MAP_CREATE) of a zero_seed hash: %v", e)
	default:
		t.Fatalf("bpf(BPF_MAP_CREATE) of a zero_seed hash: unexpected %v", e)
	}
}

// PinCPU0 locks the calling goroutine to its OS thread and that thread to
// CPU 0 until the test ends, so per-CPU state (LRU local lists, per-CPU
// values written by programs) is deterministic.
func PinCPU0(t testing.TB) {
	t.Helper()
	runtime.LockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("sched_getaffinity: %v", err)
	}
	var set unix.CPUSet
	set.Set(0)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("sched_setaffinity(CPU 0): %v", err)
	}
	t.Cleanup(func() {
		_ = unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	})
}

// PeekValue is BPF_MAP_LOOKUP_ELEM with a NULL key and value as the input
// buffer (a bloom filter tests value; queue and stack copy into it).
func (m *Map) PeekValue(value []byte, flags uint64) unix.Errno {
	return m.elem(cmdMapLookupElem, nil, value, flags)
}
