package sim

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// This file models the part of kernel/bpf/inode.c that user space sees:
// the BPF filesystem (bpffs) and BPF_OBJ_PIN / BPF_OBJ_GET (kernel-oracle
// §8). A pin is a file in bpffs that holds a reference to a map or a
// program, so the object outlives the fds of the process that made it, and
// any process can get a new fd to it by path.
//
// The simulated filesystem is deliberately small:
//
//   - One bpffs is mounted at /sys/fs/bpf (BPFFSRoot). /, /sys, /sys/fs and
//     /sys/fs/bpf exist; below /sys/fs/bpf only the directories made with
//     Mkdir (or PinGlobalNS) and the pins exist.
//   - Paths are cleaned (path.Clean); a relative path is taken from "/"
//     (the simulated process's working directory).
//   - Pin checks in the kernel's order (user_path_create, then the bpffs
//     check): a missing parent directory is ENOENT, a parent that is a pin
//     is ENOTDIR, an existing path is EEXIST, and a parent outside bpffs is
//     EPERM. Every path outside /sys/fs/bpf is treated as "parent exists and
//     is not bpffs", so it is EPERM unless it names /, /sys or /sys/fs
//     (which exist: EEXIST).
//   - ObjGet of a missing path is ENOENT; of a directory EACCES (it is not a
//     BPF object). The new fd names the same object, so the object's state is
//     shared. File-mode flags (BPF_F_RDONLY on OBJ_GET) are not modelled.
//   - Unpin is unlink(2): ENOENT when missing, EISDIR on a directory.
//     Rmdir removes an empty bpffs directory.
//
// World.Clone copies the pins (World.pins); directories are entries of the
// same table holding a bpffsDir.

// BPFFSRoot is where the World's bpffs is mounted.
const BPFFSRoot = "/sys/fs/bpf"

// TCGlobalsDir is iproute2's directory for PIN_GLOBAL_NS maps (tc and ip's
// ELF loader, and libbpf's compatibility with it): a map declared with
// pinning = PIN_GLOBAL_NS (2) in a tc object is pinned as
// /sys/fs/bpf/tc/globals/<map name>, so several programs share it.
const TCGlobalsDir = BPFFSRoot + "/tc/globals"

// Errnos that only the filesystem side uses (named in errno.go's table).
const (
	ENOTDIR   Errno = 20
	EISDIR    Errno = 21
	ENOTEMPTY Errno = 39
)

// bpffsDir marks a directory made in bpffs.
type bpffsDir struct{}

// PinEvent is one bpffs operation.
type PinEvent struct {
	_ noCompare

	Op     string `json:"op"` // pin, get, unpin, mkdir, rmdir
	Path   string `json:"path"`
	Object string `json:"object,omitempty"`
	FD     int    `json:"fd,omitempty"`
}

func (PinEvent) Kind() string { return "bpffs.op" }
func (e PinEvent) String() string {
	switch e.Op {
	case "pin":
		return fmt.Sprintf("pin %s (fd %d) at %s", e.Object, e.FD, e.Path)
	case "get":
		return fmt.Sprintf("BPF_OBJ_GET %s: new fd %d for %s", e.Path, e.FD, e.Object)
	}
	return fmt.Sprintf("%s %s", e.Op, e.Path)
}

// cleanPath normalises a path the way the simulated process sees it.
func cleanPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return path.Clean(p)
}

// inBPFFS reports whether p is /sys/fs/bpf or below it.
func inBPFFS(p string) bool { return p == BPFFSRoot || strings.HasPrefix(p, BPFFSRoot+"/") }

// isDir reports whether p is a directory of the simulated filesystem.
func (w *World) isDir(p string) bool {
	switch p {
	case "/", "/sys", "/sys/fs", BPFFSRoot:
		return true
	}
	_, ok := w.pins[p].(bpffsDir)
	return ok
}

func (w *World) objectName(obj object) string {
	switch o := obj.(type) {
	case *Map:
		return fmt.Sprintf("map %d %q", o.ID, o.Name)
	case Program:
		return fmt.Sprintf("prog %d %q", w.ProgID(o), o.ProgName())
	}
	return "object"
}

func (w *World) fsFail(op, p string, e Errno, why string) Errno {
	if w.sink != nil {
		w.Emit(ErrnoEvent{Op: op, Errno: e, Name: e.String(), Reason: p + ": " + why})
	}
	return e
}

// createCheck is user_path_create plus the bpffs check for a new entry.
func (w *World) createCheck(op, p string) Errno {
	if p == "/" || w.isDir(p) {
		return w.fsFail(op, p, EEXIST, "the path exists")
	}
	parent := path.Dir(p)
	if inBPFFS(parent) {
		if _, ok := w.pins[parent]; ok && !w.isDir(parent) {
			return w.fsFail(op, p, ENOTDIR, parent+" is a pinned object, not a directory")
		}
		if !w.isDir(parent) {
			return w.fsFail(op, p, ENOENT, "the directory "+parent+" does not exist")
		}
		if _, ok := w.pins[p]; ok {
			return w.fsFail(op, p, EEXIST, "the path exists")
		}
		return OK
	}
	return w.fsFail(op, p, EPERM, "not on a bpf filesystem (bpffs is mounted at "+BPFFSRoot+")")
}

// Pin is BPF_OBJ_PIN: pin the map or program that fd refers to at path.
func (w *World) Pin(fd int, pathname string) Errno {
	obj, ok := w.fds[fd]
	if !ok {
		return w.fsFail("pin", pathname, EBADF, fmt.Sprintf("fd %d is not open", fd))
	}
	if pathname == "" {
		return w.fsFail("pin", pathname, ENOENT, "empty path")
	}
	p := cleanPath(pathname)
	if e := w.createCheck("pin", p); e != OK {
		return e
	}
	w.pins[p] = obj
	if w.sink != nil {
		w.Emit(PinEvent{Op: "pin", Path: p, Object: w.objectName(obj), FD: fd})
	}
	return OK
}

// ObjGet is BPF_OBJ_GET: a new fd for the object pinned at path.
func (w *World) ObjGet(pathname string) (int, Errno) {
	if pathname == "" {
		return -1, w.fsFail("get", pathname, ENOENT, "empty path")
	}
	p := cleanPath(pathname)
	if w.isDir(p) {
		return -1, w.fsFail("get", p, EACCES, "a directory is not a BPF object")
	}
	obj, ok := w.pins[p]
	if !ok {
		return -1, w.fsFail("get", p, ENOENT, "nothing is pinned there")
	}
	fd := w.newFD(obj)
	if w.sink != nil {
		w.Emit(PinEvent{Op: "get", Path: p, Object: w.objectName(obj), FD: fd})
	}
	return fd, OK
}

// GetPinned is ObjGet under the name the scenario executor uses.
func (w *World) GetPinned(pathname string) (int, Errno) { return w.ObjGet(pathname) }

// Unpin is unlink(2) of a pin. The object lives on while fds refer to it.
func (w *World) Unpin(pathname string) Errno {
	p := cleanPath(pathname)
	if w.isDir(p) {
		return w.fsFail("unpin", p, EISDIR, "unlink of a directory (use rmdir)")
	}
	if _, ok := w.pins[p]; !ok {
		return w.fsFail("unpin", p, ENOENT, "nothing is pinned there")
	}
	delete(w.pins, p)
	if w.sink != nil {
		w.Emit(PinEvent{Op: "unpin", Path: p})
	}
	return OK
}

// Mkdir makes a directory in bpffs (mkdir(2)); outside bpffs it is EPERM
// because the simulator models no other filesystem.
func (w *World) Mkdir(pathname string) Errno {
	p := cleanPath(pathname)
	if e := w.createCheck("mkdir", p); e != OK {
		return e
	}
	w.pins[p] = bpffsDir{}
	if w.sink != nil {
		w.Emit(PinEvent{Op: "mkdir", Path: p})
	}
	return OK
}

// Rmdir removes an empty bpffs directory.
func (w *World) Rmdir(pathname string) Errno {
	p := cleanPath(pathname)
	if _, ok := w.pins[p].(bpffsDir); !ok {
		switch {
		case w.isDir(p):
			return w.fsFail("rmdir", p, EBUSY, "a mount point or a directory outside bpffs")
		case w.pins[p] != nil:
			return w.fsFail("rmdir", p, ENOTDIR, "a pinned object, not a directory")
		}
		return w.fsFail("rmdir", p, ENOENT, "no such directory")
	}
	for q := range w.pins {
		if strings.HasPrefix(q, p+"/") {
			return w.fsFail("rmdir", p, ENOTEMPTY, "the directory is not empty")
		}
	}
	delete(w.pins, p)
	if w.sink != nil {
		w.Emit(PinEvent{Op: "rmdir", Path: p})
	}
	return OK
}

// PinGlobalNSPath is where iproute2 pins a PIN_GLOBAL_NS map named name.
func PinGlobalNSPath(name string) string { return TCGlobalsDir + "/" + name }

// PinGlobalNS pins fd the way iproute2's loader does for a map with
// pinning = PIN_GLOBAL_NS: it makes /sys/fs/bpf/tc and
// /sys/fs/bpf/tc/globals when missing, then pins at globals/<name>. (The
// loader first tries BPF_OBJ_GET on that path and reuses a map pinned there
// by an earlier load; do that with ObjGet.)
func (w *World) PinGlobalNS(fd int, name string) Errno {
	for _, d := range []string{BPFFSRoot + "/tc", TCGlobalsDir} {
		if !w.isDir(d) {
			if e := w.Mkdir(d); e != OK {
				return e
			}
		}
	}
	return w.Pin(fd, PinGlobalNSPath(name))
}

// PinInfo is one entry of the simulated bpffs for the UI.
type PinInfo struct {
	Path string `json:"path"`
	Kind string `json:"kind"` // map, prog or dir
	ID   uint32 `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Pins lists the bpffs entries in path order.
func (w *World) Pins() []PinInfo {
	out := make([]PinInfo, 0, len(w.pins))
	for p, obj := range w.pins {
		pi := PinInfo{Path: p}
		switch o := obj.(type) {
		case bpffsDir:
			pi.Kind = "dir"
		case *Map:
			pi.Kind, pi.ID, pi.Name = "map", o.ID, o.Name
		case Program:
			pi.Kind, pi.ID, pi.Name = "prog", w.ProgID(o), o.ProgName()
		default:
			pi.Kind = "object"
		}
		out = append(out, pi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
