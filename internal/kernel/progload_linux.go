//go:build linux

package kernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// Pacing of program loads (see the package comment).
const (
	// LockPath is the lock file shared by every process that loads programs.
	LockPath = "/tmp/bpfplay-progload.lock"
	// PaceEvery loads (counted across processes) are followed by PaceSleep.
	PaceEvery = 32
	PaceSleep = 50 * time.Millisecond
	// MaxLoadsPerProcess bounds the loads of one test binary.
	MaxLoadsPerProcess = 4000
	// lockWait bounds how long LoadProgram waits for the lock.
	lockWait = 3 * time.Minute
)

var (
	loadMu    sync.Mutex
	loadCount int
)

// Loads is the number of programs this process has loaded so far.
func Loads() int {
	loadMu.Lock()
	defer loadMu.Unlock()
	return loadCount
}

// ErrLoadBudget is returned when a process tries to load more than
// MaxLoadsPerProcess programs.
var ErrLoadBudget = errors.New("kernel: program load budget of this process exhausted")

// LoadProgram loads a program with verifier logs at LogLevelBranch on
// failure. It is the only way programs may be loaded in this module: it
// holds an exclusive cross-process flock on LockPath during the load and
// paces loads (PaceSleep after every PaceEvery loads, counted in the lock
// file across processes). Close the program as soon as it is not needed.
func LoadProgram(spec *ebpf.ProgramSpec) (*ebpf.Program, error) {
	return LoadProgramWithOptions(spec, ebpf.ProgramOptions{})
}

// LoadProgramWithOptions is LoadProgram with explicit options.
func LoadProgramWithOptions(spec *ebpf.ProgramSpec, opts ebpf.ProgramOptions) (*ebpf.Program, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	if loadCount >= MaxLoadsPerProcess {
		return nil, ErrLoadBudget
	}
	f, err := os.OpenFile(LockPath, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("kernel: open %s: %w", LockPath, err)
	}
	defer f.Close()
	deadline := time.Now().Add(lockWait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if err != unix.EWOULDBLOCK && err != unix.EINTR {
			return nil, fmt.Errorf("kernel: flock %s: %w", LockPath, err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("kernel: timed out after %v waiting for %s", lockWait, LockPath)
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer unix.Flock(int(f.Fd()), unix.LOCK_UN)

	// The shared counter: 8 bytes at the start of the lock file.
	var buf [8]byte
	n, _ := f.ReadAt(buf[:], 0)
	shared := uint64(0)
	if n == 8 {
		shared = binary.LittleEndian.Uint64(buf[:])
	}
	shared++
	binary.LittleEndian.PutUint64(buf[:], shared)
	_, _ = f.WriteAt(buf[:], 0)

	loadCount++
	prog, err := ebpf.NewProgramWithOptions(spec, opts)
	if shared%PaceEvery == 0 {
		time.Sleep(PaceSleep)
	}
	return prog, err
}
