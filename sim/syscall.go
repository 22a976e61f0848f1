package sim

import "fmt"

// CreateCheckEvent is one check of BPF_MAP_CREATE, in the kernel's order
// (map_create in kernel/bpf/syscall.c). A lesson walks these to show why a
// create failed and which bpf_map_ops row was chosen.
type CreateCheckEvent struct {
	_ noCompare

	Map   string `json:"map"`
	Step  string `json:"step"`
	Ok    bool   `json:"ok"`
	Cause string `json:"cause,omitempty"`
}

func (CreateCheckEvent) Kind() string { return "create.check" }
func (e CreateCheckEvent) String() string {
	if e.Ok {
		return fmt.Sprintf("map_create %s: %s: ok", e.Map, e.Step)
	}
	return fmt.Sprintf("map_create %s: %s: %s", e.Map, e.Step, e.Cause)
}

// MapCreatedEvent reports a new map: its ID, fd and the seed it will hash with.
type MapCreatedEvent struct {
	_ noCompare

	Map        string `json:"map"`
	Type       string `json:"type"`
	ID         uint32 `json:"id"`
	FD         int    `json:"fd"`
	MaxEntries uint32 `json:"max_entries"`
	Seed       uint32 `json:"seed"`
}

func (MapCreatedEvent) Kind() string { return "map.created" }
func (e MapCreatedEvent) String() string {
	return fmt.Sprintf("created %s map %s: id %d, fd %d, max_entries %d, seed %#08x", e.Type, e.Map, e.ID, e.FD, e.MaxEntries, e.Seed)
}

// CreateMap is BPF_MAP_CREATE. The checks run in the kernel's order and each
// emits a CreateCheckEvent; the first failing one decides the errno.
func (w *World) CreateMap(a MapAttr) (*Map, Errno) {
	fail := func(step string, e Errno, cause string) (*Map, Errno) {
		if w.sink != nil {
			w.Emit(CreateCheckEvent{Map: a.Name, Step: step, Cause: cause})
			w.Emit(ErrnoEvent{Map: a.Name, Op: "map_create", Errno: e, Name: e.String(), Reason: cause})
		}
		return nil, e
	}
	pass := func(step string) {
		if w.sink != nil {
			w.Emit(CreateCheckEvent{Map: a.Name, Step: step, Ok: true})
		}
	}

	if a.MapExtra != 0 && a.Type != MapBloomFilter && a.Type != MapArena {
		return fail("map_extra", EINVAL, "map_extra is only for bloom_filter and arena")
	}
	pass("map_extra")
	if a.Flags&FlagRdonly != 0 && a.Flags&FlagWronly != 0 {
		return fail("access flags", EINVAL, "BPF_F_RDONLY and BPF_F_WRONLY together")
	}
	pass("access flags")
	if a.Type == MapUnspec || a.Type >= maxMapType {
		return fail("map_type", EINVAL, fmt.Sprintf("map type %d does not exist", uint32(a.Type)))
	}
	mt, ok := mapTypes[a.Type]
	if !ok {
		return fail("map_type", EINVAL, fmt.Sprintf("map type %v is not simulated yet", a.Type))
	}
	pass("map_type: bpf_map_ops of " + a.Type.String())
	// BPF_F_TOKEN_FD is taken off before the type's checks and the token
	// (map_token_fd) is looked up after them; fd 0 is no BPF token.
	tokenFlag := a.Flags&FlagTokenFD != 0
	a.Flags &^= FlagTokenFD
	if e, why := mt.allocCheck(&a, w); e != OK {
		return fail("map_alloc_check", e, why)
	}
	pass("map_alloc_check")
	if tokenFlag {
		return fail("token", EINVAL, "BPF_F_TOKEN_FD: map_token_fd 0 is not a BPF token")
	}
	// Capabilities: the simulated user is root with CAP_BPF, CAP_NET_ADMIN,
	// CAP_PERFMON and CAP_SYS_ADMIN, like the oracle tests.
	pass("capabilities")

	m := &Map{
		Name: a.Name, Type: a.Type, KeySize: a.KeySize, ValueSize: a.ValueSize,
		MaxEntries: a.MaxEntries, Flags: a.Flags, MapExtra: a.MapExtra, world: w,
		SpinLock: a.SpinLock, SpinLockOff: a.SpinLockOff,
	}
	switch {
	case a.Seed != nil:
		m.Seed = *a.Seed
	case a.Flags&FlagZeroSeed != 0:
		m.Seed = 0
	default:
		m.Seed = uint32(w.Random())
	}
	if a.InnerMapFD != 0 {
		inner, e := w.MapByFD(a.InnerMapFD)
		if e != OK {
			return fail("inner_map_fd", e, fmt.Sprintf("inner_map_fd %d is not a map", a.InnerMapFD))
		}
		m.Inner = inner
	}
	ops, e, why := mt.alloc(m)
	if e != OK {
		return fail("map_alloc", e, why)
	}
	m.ops = ops
	pass("map_alloc")
	if !validMapName(a.Name) {
		return fail("map_name", EINVAL, "a map name has at most 15 characters from [A-Za-z0-9_.]")
	}
	pass("map_name")

	m.ID = w.nextMapID
	w.nextMapID++
	w.maps[m.ID] = m
	m.FD = w.newFD(m)
	if w.sink != nil {
		w.Emit(MapCreatedEvent{Map: m.Name, Type: m.Type.String(), ID: m.ID, FD: m.FD, MaxEntries: m.MaxEntries, Seed: m.Seed})
	}
	return m, OK
}

func validMapName(name string) bool {
	if len(name) > 15 {
		return false
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}
