//go:build linux

package kernel

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfplay/bpfplay/sim"
)

// bpf(2) commands for bpffs objects.
const (
	cmdObjPin = 6
	cmdObjGet = 7
)

// objAttr mirrors union bpf_attr for BPF_OBJ_PIN and BPF_OBJ_GET.
type objAttr struct {
	pathname  uint64
	bpfFD     uint32
	fileFlags uint32
	pathFD    int32
	_         uint32
}

func cstring(s string) []byte { return append([]byte(s), 0) }

// ObjPin is raw BPF_OBJ_PIN of fd (a map or a program) at path.
func ObjPin(fd int, path string) unix.Errno {
	p := cstring(path)
	a := objAttr{pathname: uint64(uintptr(unsafe.Pointer(&p[0]))), bpfFD: uint32(fd)}
	_, e := bpf(cmdObjPin, unsafe.Pointer(&a), unsafe.Sizeof(a))
	runtime.KeepAlive(p)
	return e
}

// ObjGet is raw BPF_OBJ_GET of path; the new fd must be closed.
func ObjGet(path string, flags uint32) (int, unix.Errno) {
	p := cstring(path)
	a := objAttr{pathname: uint64(uintptr(unsafe.Pointer(&p[0]))), fileFlags: flags}
	r, e := bpf(cmdObjGet, unsafe.Pointer(&a), unsafe.Sizeof(a))
	runtime.KeepAlive(p)
	if e != 0 {
		return -1, e
	}
	return int(r), 0
}

// MapFromFD wraps an open map fd (for example one from ObjGet) in a Map,
// with its sizes from BPF_OBJ_GET_INFO_BY_FD. The Map owns fd.
func MapFromFD(fd int) (*Map, unix.Errno) {
	info, e := MapInfoByFD(fd)
	if e != 0 {
		return nil, e
	}
	m := &Map{FD: fd, Type: info.Type, KeySize: info.KeySize, ValueSize: info.ValueSize, MaxEntries: info.MaxEntries, Flags: info.Flags}
	m.ValueBuf = int(info.ValueSize)
	switch sim.MapType(info.Type) {
	case sim.MapPercpuHash, sim.MapPercpuArray, sim.MapLRUPercpuHash, sim.MapPercpuCgroupStorage:
		m.ValueBuf = int((info.ValueSize+7)/8*8) * PossibleCPUs()
	}
	return m, 0
}
