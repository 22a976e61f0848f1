//go:build linux

package kscenario

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/bpfasm"
	"github.com/bpfplay/bpfplay/sim/scenario"
)

// kprog is a program loaded from a scenario's prog block (or got from a
// pin).
type kprog struct {
	p    *ebpf.Program
	name string
	id   uint32
	typ  sim.ProgType
}

// fdOnly is a map fd as cilium's asm.FDer.
type fdOnly int

func (f fdOnly) FD() int { return int(f) }

// lastLogLine is the last line of the verifier log in err that is not a
// statistics line (processed N insns, verification time, stack depth).
func lastLogLine(err error) string {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		for i := len(ve.Log) - 1; i >= 0; i-- {
			l := strings.TrimSpace(ve.Log[i])
			if l == "" || strings.HasPrefix(l, "processed ") || strings.HasPrefix(l, "verification time") || strings.HasPrefix(l, "stack depth") {
				continue
			}
			return l
		}
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// bindMap and bindProg keep one namespace of names, as the simulator does.
func (r *runner) bindMap(name string, m *kmap) {
	delete(r.sprogs, name)
	r.maps[name] = m
}

func (r *runner) bindProg(name string, p *kprog) {
	delete(r.maps, name)
	r.sprogs[name] = p
}

func (r *runner) unbind(name string) {
	delete(r.maps, name)
	delete(r.sprogs, name)
}

// doLoad loads a prog block: assembled with bpfasm, map references resolved
// to the scenario's kernel maps, loaded through kernel.LoadProgram.
func (r *runner) doLoad(st *scenario.Stmt, res *Result) error {
	name := st.Args[0].Tok.Text
	o, _ := st.Opt("type")
	typ, err := sim.ParseProgType(o.Value)
	if err != nil {
		return r.errf(st, "%v", err)
	}
	insns, err := bpfasm.Assemble(st.Body)
	if err != nil {
		return r.errf(st, "prog %s does not assemble: %v", name, err)
	}
	for i := range insns {
		ins := &insns[i]
		ref := ins.Reference()
		if ref == "" || !ins.IsLoadFromMap() {
			continue
		}
		m, ok := r.maps[ref]
		if !ok {
			res.Errno = sim.EBADF
			res.Log = fmt.Sprintf("map[%s] is not a map", ref)
			r.unbind(name)
			return nil
		}
		if err := ins.AssociateMap(fdOnly(m.m.FD)); err != nil {
			return r.errf(st, "map[%s]: %v", ref, err)
		}
	}
	spec := &ebpf.ProgramSpec{Type: ebpf.ProgramType(typ), License: "GPL", Instructions: insns}
	p, err := kernel.LoadProgram(spec)
	if err != nil {
		if errors.Is(err, kernel.ErrLoadBudget) {
			return r.errf(st, "load %s: %v", name, err)
		}
		res.Errno = kernel.ToSim(kernel.Errno(err))
		res.Log = lastLogLine(err)
		r.unbind(name)
		return nil
	}
	r.allProgs = append(r.allProgs, p)
	kp := &kprog{p: p, name: name, typ: typ}
	if info, err := p.Info(); err == nil {
		if id, ok := info.ID(); ok {
			kp.id = uint32(id)
			r.progByID[kp.id] = name
		}
	}
	r.bindProg(name, kp)
	return nil
}

// packetOpt decodes run's packet= (a length, hex: or str:); ok is false for
// other forms.
func packetOpt(v string) ([]byte, bool) {
	if prefix, rest, found := strings.Cut(v, ":"); found {
		switch prefix {
		case "hex":
			b, err := hex.DecodeString(strings.ReplaceAll(rest, "_", ""))
			if err != nil {
				return nil, false
			}
			if b == nil {
				b = []byte{}
			}
			return b, true
		case "str":
			return []byte(rest), true
		}
		return nil, false
	}
	n, err := parseNum(v)
	if err != nil || n > 1<<16 {
		return nil, false
	}
	return make([]byte, n), true
}

// doRun is BPF_PROG_TEST_RUN of a loaded program.
func (r *runner) doRun(st *scenario.Stmt, res *Result) error {
	name := st.Args[0].Tok.Text
	kp, ok := r.sprogs[name]
	if !ok {
		if _, isMap := r.maps[name]; isMap {
			return r.errf(st, "%q is a map, not a program", name)
		}
		return r.errf(st, "undefined program %q", name)
	}
	pkt := make([]byte, 64)
	repeat := uint64(0)
	for _, o := range st.Opts {
		switch o.Key {
		case "packet":
			b, ok := packetOpt(o.Value)
			if !ok {
				return r.errf(st, "packet=%s cannot be run on the kernel", o.Value)
			}
			pkt = b
		case "repeat":
			repeat, _ = parseNum(o.Value)
		}
	}
	ret, err := kp.p.Run(&ebpf.RunOptions{Data: pkt, DataOut: make([]byte, len(pkt)+256), Repeat: uint32(repeat)})
	if err != nil {
		res.Errno = kernel.ToSim(kernel.Errno(err))
		if res.Errno == 0 {
			res.Errno = sim.EINVAL
		}
		res.Log = err.Error()
		return nil
	}
	r0 := uint64(ret)
	res.Ret = &r0
	return nil
}

// bpffs is a private bpf filesystem standing for /sys/fs/bpf, and a plain
// directory standing for every other path.
type bpffs struct {
	root  string // holds both
	mnt   string // the bpffs mount
	plain string // not bpffs
}

func newBPFFS() (*bpffs, error) {
	root, err := os.MkdirTemp("", "kscenario-fs-")
	if err != nil {
		return nil, err
	}
	fs := &bpffs{root: root, mnt: filepath.Join(root, "bpffs"), plain: filepath.Join(root, "plain")}
	if err := os.MkdirAll(filepath.Join(fs.plain, "sys", "fs"), 0o755); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	if err := os.Mkdir(fs.mnt, 0o755); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	if err := unix.Mount("bpf", fs.mnt, "bpf", 0, ""); err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("mount bpffs at %s: %w", fs.mnt, err)
	}
	return fs, nil
}

func (fs *bpffs) close() {
	if err := unix.Unmount(fs.mnt, unix.MNT_DETACH); err == nil {
		os.RemoveAll(fs.root)
	}
}

// translate maps a scenario path to the host; create says the operation
// makes an entry, so the parent directory of a path outside bpffs is made
// (the simulator treats it as existing).
func (fs *bpffs) translate(p string, create bool) string {
	if p == "" {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = path.Clean(p)
	if p == sim.BPFFSRoot || strings.HasPrefix(p, sim.BPFFSRoot+"/") {
		return fs.mnt + strings.TrimPrefix(p, sim.BPFFSRoot)
	}
	host := fs.plain + p
	if create {
		_ = os.MkdirAll(filepath.Dir(host), 0o755)
	}
	return host
}

// fdKind reads /proc/self/fdinfo to tell a map fd from a program fd.
func fdKind(fd int) string {
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return ""
	}
	s := string(b)
	switch {
	case strings.Contains(s, "\nmap_type:"):
		return "map"
	case strings.Contains(s, "\nprog_type:"):
		return "prog"
	}
	return ""
}

func (r *runner) doPin(st *scenario.Stmt, res *Result) error {
	if r.fs == nil {
		fs, err := newBPFFS()
		if err != nil {
			return r.errf(st, "%v", err)
		}
		r.fs = fs
	}
	var e unix.Errno
	switch st.Op {
	case "pin":
		name := st.Args[0].Tok.Text
		fd := -1
		if m, ok := r.maps[name]; ok {
			fd = m.m.FD
		} else if p, ok := r.sprogs[name]; ok {
			fd = p.p.FD()
		} else {
			return r.errf(st, "undefined map or program %q", name)
		}
		e = kernel.ObjPin(fd, r.fs.translate(st.Args[1].Tok.Text, true))
	case "get":
		name := st.Args[1].Tok.Text
		fd, ge := kernel.ObjGet(r.fs.translate(st.Args[0].Tok.Text, false), 0)
		e = ge
		if ge != 0 {
			break
		}
		switch fdKind(fd) {
		case "map":
			m, me := kernel.MapFromFD(fd)
			if me != 0 {
				unix.Close(fd)
				return r.errf(st, "get %s: map info: %v", name, me)
			}
			km := &kmap{m: m, name: name}
			if info, ie := kernel.MapInfoByFD(fd); ie == 0 {
				km.id = info.ID
			}
			r.all = append(r.all, km)
			r.bindMap(name, km)
		case "prog":
			p, err := ebpf.NewProgramFromFD(fd)
			if err != nil {
				unix.Close(fd)
				return r.errf(st, "get %s: %v", name, err)
			}
			r.allProgs = append(r.allProgs, p)
			kp := &kprog{p: p, name: name}
			if info, err := p.Info(); err == nil {
				if id, ok := info.ID(); ok {
					kp.id = uint32(id)
				}
				kp.typ = sim.ProgType(info.Type)
			}
			r.bindProg(name, kp)
		default:
			unix.Close(fd)
			return r.errf(st, "get %s: fd %d is neither a map nor a program", name, fd)
		}
	case "unpin":
		e = kernel.Errno(unix.Unlink(r.fs.translate(st.Args[0].Tok.Text, false)))
	case "mkdir":
		e = kernel.Errno(unix.Mkdir(r.fs.translate(st.Args[0].Tok.Text, true), 0o755))
	case "rmdir":
		e = kernel.Errno(unix.Rmdir(r.fs.translate(st.Args[0].Tok.Text, false)))
	}
	res.Errno = kernel.ToSim(e)
	return nil
}
