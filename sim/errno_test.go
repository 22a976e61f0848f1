package sim

import (
	"syscall"
	"testing"
)

// Every errno the simulator returns has Linux's number and name, and its
// name parses back to it.
func TestErrnoNames(t *testing.T) {
	linux := map[string]syscall.Errno{
		"EPERM": syscall.EPERM, "ENOENT": syscall.ENOENT, "E2BIG": syscall.E2BIG, "EBADF": syscall.EBADF,
		"EAGAIN": syscall.EAGAIN, "ENOMEM": syscall.ENOMEM, "EACCES": syscall.EACCES, "EFAULT": syscall.EFAULT,
		"EBUSY": syscall.EBUSY, "EEXIST": syscall.EEXIST, "EINVAL": syscall.EINVAL, "ENOSPC": syscall.ENOSPC,
		"ERANGE": syscall.ERANGE, "EOPNOTSUPP": syscall.EOPNOTSUPP, "ENOTDIR": syscall.ENOTDIR,
		"EISDIR": syscall.EISDIR, "ENOTEMPTY": syscall.ENOTEMPTY,
		"ENOTSUPP": 524, // kernel-internal, include/linux/errno.h
	}
	for name, num := range linux {
		e, ok := ParseErrno(name)
		if !ok || int(e) != int(num) {
			t.Errorf("ParseErrno(%q) = %d, %v; Linux's number is %d", name, e, ok, num)
		}
		if got := Errno(num).String(); got != name {
			t.Errorf("Errno(%d).String() = %q, want %q", num, got, name)
		}
	}
	if e, ok := ParseErrno("OK"); !ok || e != OK || OK.String() != "OK" {
		t.Errorf("OK does not round-trip: %d %v %q", e, ok, OK.String())
	}
	if _, ok := ParseErrno("ENOPE"); ok {
		t.Error("ParseErrno accepted an unknown name")
	}
	if got := Errno(99).String(); got != "errno(99)" {
		t.Errorf("Errno(99).String() = %q", got)
	}
}
