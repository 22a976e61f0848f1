//go:build linux

package kernel

import (
	"encoding/binary"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

func TestMapOps(t *testing.T) {
	Require(t)
	m, e := CreateMap(Attr{Type: 1, KeySize: 4, ValueSize: 8, MaxEntries: 2, Flags: FlagZeroSeed, Name: "t"})
	if e != 0 {
		t.Fatal(e)
	}
	defer m.Close()
	k := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	val := make([]byte, 8)
	if e := m.Update(k(1), val, 0); e != 0 {
		t.Fatal(e)
	}
	if e := m.Update(k(1), val, 1); e != unix.EEXIST {
		t.Fatalf("noexist: %v", e)
	}
	if e := m.Update(k(2), val, 0); e != 0 {
		t.Fatal(e)
	}
	if e := m.Update(k(3), val, 0); e != unix.E2BIG {
		t.Fatalf("full: %v", e)
	}
	if _, e := m.Lookup(nil, 0); e != unix.EFAULT {
		t.Fatalf("NULL key lookup: %v", e)
	}
	keys, e := m.Walk(10)
	if e != unix.ENOENT || len(keys) != 2 {
		t.Fatalf("walk %v %v", keys, e)
	}
	if _, e := m.LookupAndDelete(k(1), 0); e != 0 {
		t.Fatal(e)
	}
	if e := m.Delete(k(1)); e != unix.ENOENT {
		t.Fatal(e)
	}
	if e := m.Freeze(); e != 0 {
		t.Fatal(e)
	}
	if e := m.Freeze(); e != unix.EPERM {
		t.Fatalf("second freeze: %v", e)
	}
	q, e := CreateMap(Attr{Type: 22, ValueSize: 4, MaxEntries: 2})
	if e != 0 {
		t.Fatal(e)
	}
	defer q.Close()
	q.Push(k(5), 0)
	q.Push(k(6), 0)
	if e := q.Push(k(7), 0); e != unix.E2BIG {
		t.Fatal(e)
	}
	if v, e := q.Pop(0); e != 0 || binary.LittleEndian.Uint32(v) != 5 {
		t.Fatal(v, e)
	}
}

func TestLoadProgram(t *testing.T) {
	Require(t)
	p, err := LoadProgram(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 42), asm.Return()}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ret, err := p.Run(&ebpf.RunOptions{Data: make([]byte, 14)})
	if err != nil || ret != 42 {
		t.Fatal(ret, err)
	}
	t.Logf("possible CPUs %d, loads %d", PossibleCPUs(), Loads())
}
