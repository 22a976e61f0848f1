package sim

import "strconv"

// Errno is a Linux error number as bpf(2) returns it. OK (0) means success.
// Results are data in the simulator, not Go failures: every operation
// returns exactly one Errno, and a scenario prints it as Linux spells it.
type Errno int

// The errnos the BPF syscall and helpers return. ENOTSUPP (524) is a
// kernel-internal code that leaks to user space; it is not EOPNOTSUPP (95).
const (
	OK         Errno = 0
	EPERM      Errno = 1
	ENOENT     Errno = 2
	E2BIG      Errno = 7
	EBADF      Errno = 9
	EAGAIN     Errno = 11
	ENOMEM     Errno = 12
	EACCES     Errno = 13
	EFAULT     Errno = 14
	EBUSY      Errno = 16
	EEXIST     Errno = 17
	EINVAL     Errno = 22
	ENOSPC     Errno = 28
	ERANGE     Errno = 34
	EOPNOTSUPP Errno = 95
	ENOTSUPP   Errno = 524
)

// errnoNames lists every errno the simulator returns with its Linux name.
// A short table scanned in order: cheaper to build and to look up in the
// browser build than a map (see RATIONALE.md, "The browser build").
var errnoNames = [...]struct {
	errno Errno
	name  string
}{
	{OK, "OK"}, {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {E2BIG, "E2BIG"}, {EBADF, "EBADF"},
	{EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"}, {EACCES, "EACCES"}, {EFAULT, "EFAULT"},
	{EBUSY, "EBUSY"}, {EEXIST, "EEXIST"}, {EINVAL, "EINVAL"}, {ENOSPC, "ENOSPC"},
	{ERANGE, "ERANGE"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {ENOTSUPP, "ENOTSUPP"},
	{ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"}, {ENOTEMPTY, "ENOTEMPTY"},
}

// String returns the errno's Linux name ("ENOENT"), or "OK".
func (e Errno) String() string {
	for _, n := range errnoNames {
		if n.errno == e {
			return n.name
		}
	}
	return "errno(" + strconv.Itoa(int(e)) + ")"
}

// Error makes an Errno usable as a Go error where that is convenient.
func (e Errno) Error() string { return e.String() }

// ParseErrno maps a Linux errno name ("E2BIG", "OK") back to its number.
func ParseErrno(name string) (Errno, bool) {
	for _, n := range errnoNames {
		if n.name == name {
			return n.errno, true
		}
	}
	return 0, false
}

// Neg is the errno as a BPF helper returns it in R0 (-ENOENT and so on).
func (e Errno) Neg() int64 { return -int64(e) }
