package sim

import "testing"

func TestBPFFSPinGet(t *testing.T) {
	w := NewWorld(Config{})
	m, e := w.CreateMap(MapAttr{Name: "counts", Type: MapQueue, ValueSize: 4, MaxEntries: 4})
	if e != OK {
		t.Fatal(e)
	}
	// kernel-oracle §8: pin OK, same path again EEXIST, not on bpffs EPERM,
	// get of a missing path ENOENT, the got fd works and shares the object.
	if e := w.Pin(m.FD, "/sys/fs/bpf/counts"); e != OK {
		t.Fatal(e)
	}
	if e := w.Pin(m.FD, "/sys/fs/bpf/counts"); e != EEXIST {
		t.Fatalf("pin again: %v", e)
	}
	if e := w.Pin(m.FD, "/tmp/counts"); e != EPERM {
		t.Fatalf("pin outside bpffs: %v", e)
	}
	if _, e := w.ObjGet("/sys/fs/bpf/nothing"); e != ENOENT {
		t.Fatalf("get missing: %v", e)
	}
	fd, e := w.ObjGet("/sys/fs/bpf//counts/")
	if e != OK || fd == m.FD {
		t.Fatalf("get: %d %v", fd, e)
	}
	m2, e := w.MapByFD(fd)
	if e != OK || m2 != m {
		t.Fatalf("the new fd names another object: %v", e)
	}
	if e := m2.Push(qsVal(7), 0); e != OK {
		t.Fatal(e)
	}
	if v, e := m.Peek(); e != OK || v[0] != 7 {
		t.Fatalf("value not shared: %v %v", v, e)
	}

	// Errnos of the simplified filesystem (documented in inode.go).
	cases := []struct {
		name string
		e    Errno
		want Errno
	}{
		{"bad fd", w.Pin(999, "/sys/fs/bpf/x"), EBADF},
		{"missing parent", w.Pin(m.FD, "/sys/fs/bpf/no/such"), ENOENT},
		{"parent is a pin", w.Pin(m.FD, "/sys/fs/bpf/counts/x"), ENOTDIR},
		{"the mount point", w.Pin(m.FD, "/sys/fs/bpf"), EEXIST},
		{"/sys/fs", w.Pin(m.FD, "/sys/fs"), EEXIST},
		{"sibling of the mount", w.Pin(m.FD, "/sys/fs/bpfx"), EPERM},
		{"empty", w.Pin(m.FD, ""), ENOENT},
		{"unpin missing", w.Unpin("/sys/fs/bpf/none"), ENOENT},
		{"unpin a directory", w.Unpin("/sys/fs/bpf"), EISDIR},
		{"mkdir outside", w.Mkdir("/tmp/d"), EPERM},
	}
	for _, c := range cases {
		if c.e != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.e, c.want)
		}
	}
	if _, e := w.ObjGet("/sys/fs/bpf"); e != EACCES {
		t.Errorf("get a directory: %v", e)
	}

	// Unpin: the path goes, the object stays reachable through its fds.
	if e := w.Unpin("/sys/fs/bpf/counts"); e != OK {
		t.Fatal(e)
	}
	if _, e := w.ObjGet("/sys/fs/bpf/counts"); e != ENOENT {
		t.Fatal(e)
	}
	if _, e := m2.Peek(); e != OK {
		t.Fatal(e)
	}
	if EISDIR.String() != "EISDIR" {
		t.Fatal(EISDIR.String())
	}
}

func TestBPFFSDirsAndGlobalNS(t *testing.T) {
	w := NewWorld(Config{})
	m, _ := w.CreateMap(MapAttr{Name: "jmp", Type: MapQueue, ValueSize: 4, MaxEntries: 4})
	if e := w.PinGlobalNS(m.FD, "jmp"); e != OK {
		t.Fatal(e)
	}
	if PinGlobalNSPath("jmp") != "/sys/fs/bpf/tc/globals/jmp" {
		t.Fatal(PinGlobalNSPath("jmp"))
	}
	// A second loader finds the map by path instead of creating one.
	fd, e := w.ObjGet("/sys/fs/bpf/tc/globals/jmp")
	if e != OK {
		t.Fatal(e)
	}
	if got, _ := w.MapByFD(fd); got != m {
		t.Fatal("not the same map")
	}
	if e := w.PinGlobalNS(m.FD, "jmp"); e != EEXIST {
		t.Fatalf("second pin: %v", e)
	}
	pins := w.Pins()
	want := []PinInfo{
		{Path: "/sys/fs/bpf/tc", Kind: "dir"},
		{Path: "/sys/fs/bpf/tc/globals", Kind: "dir"},
		{Path: "/sys/fs/bpf/tc/globals/jmp", Kind: "map", ID: m.ID, Name: "jmp"},
	}
	if len(pins) != len(want) {
		t.Fatalf("pins %+v", pins)
	}
	for i := range want {
		if pins[i] != want[i] {
			t.Fatalf("pin %d: %+v, want %+v", i, pins[i], want[i])
		}
	}
	if e := w.Rmdir("/sys/fs/bpf/tc/globals"); e != ENOTEMPTY {
		t.Fatal(e)
	}
	if e := w.Rmdir("/sys/fs/bpf/tc/globals/jmp"); e != ENOTDIR {
		t.Fatal(e)
	}
	// Clone copies the pins; the clone's pin names the clone's map.
	c := w.Clone()
	cfd, e := c.ObjGet("/sys/fs/bpf/tc/globals/jmp")
	if e != OK {
		t.Fatal(e)
	}
	cm, _ := c.MapByFD(cfd)
	if cm == m || cm.ID != m.ID {
		t.Fatal("clone pin does not name the clone's map")
	}
	if e := c.Unpin("/sys/fs/bpf/tc/globals/jmp"); e != OK {
		t.Fatal(e)
	}
	if _, e := w.ObjGet("/sys/fs/bpf/tc/globals/jmp"); e != OK {
		t.Fatal("unpin in the clone changed the original")
	}
	if e := c.Rmdir("/sys/fs/bpf/tc/globals"); e != OK {
		t.Fatal(e)
	}
}
