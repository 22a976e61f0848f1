// Package kernel is a thin layer over the real bpf(2) system call for the
// kernel-oracle tests: the same map operations run on Linux and on the
// simulator, and every errno, value and walk is compared.
//
// Map operations use raw bpf(2) (golang.org/x/sys/unix) so that the exact
// errno comes back and NULL key or value pointers can be passed; cilium/ebpf
// maps errnos to sentinel errors and never passes NULL. Programs are loaded
// with cilium/ebpf.
//
// # Why program loads are serialized
//
// An earlier attempt at this project wedged the kernel of the build machine:
// several test binaries loaded thousands of BPF programs at the same time and
// the JIT deadlocked (the bpf_prog_pack mutex against about 2,000 queued
// bpf_prog_free_deferred work items). Every later program load hung forever.
// Therefore every program load in this module goes through LoadProgram, which
//
//   - holds an exclusive flock on LockPath across processes while it loads,
//   - keeps a load counter in that lock file and sleeps PaceSleep after every
//     PaceEvery loads, so that deferred frees can drain, and
//   - refuses to load more than MaxLoadsPerProcess programs in one process.
//
// Callers must close programs promptly and should load a program once and
// reuse it (for example by swapping inner maps of a map-in-map).
//
// The package builds on Linux only; this file exists so that the package
// name resolves on every platform.
package kernel
