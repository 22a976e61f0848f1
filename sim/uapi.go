package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// MapType is a map type number from include/uapi/linux/bpf.h. The numbers
// are interface facts; the names are the kernel's without BPF_MAP_TYPE_.
type MapType uint32

const (
	MapUnspec              MapType = 0
	MapHash                MapType = 1
	MapArray               MapType = 2
	MapProgArray           MapType = 3
	MapPerfEventArray      MapType = 4
	MapPercpuHash          MapType = 5
	MapPercpuArray         MapType = 6
	MapStackTrace          MapType = 7
	MapCgroupArray         MapType = 8
	MapLRUHash             MapType = 9
	MapLRUPercpuHash       MapType = 10
	MapLPMTrie             MapType = 11
	MapArrayOfMaps         MapType = 12
	MapHashOfMaps          MapType = 13
	MapDevmap              MapType = 14
	MapSockmap             MapType = 15
	MapCpumap              MapType = 16
	MapXskmap              MapType = 17
	MapSockhash            MapType = 18
	MapCgroupStorage       MapType = 19
	MapReuseportSockarray  MapType = 20
	MapPercpuCgroupStorage MapType = 21
	MapQueue               MapType = 22
	MapStack               MapType = 23
	MapSkStorage           MapType = 24
	MapDevmapHash          MapType = 25
	MapStructOps           MapType = 26
	MapRingbuf             MapType = 27
	MapInodeStorage        MapType = 28
	MapTaskStorage         MapType = 29
	MapBloomFilter         MapType = 30
	MapUserRingbuf         MapType = 31
	MapCgrpStorage         MapType = 32
	MapArena               MapType = 33
	maxMapType             MapType = 34 // first number the kernel rejects
)

var mapTypeNames = [...]string{
	"unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash",
	"percpu_array", "stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash",
	"lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap", "cpumap",
	"xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray",
	"percpu_cgroup_storage", "queue", "stack", "sk_storage", "devmap_hash",
	"struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
	"user_ringbuf", "cgrp_storage", "arena",
}

// String is the lower-case kernel name ("lru_hash"), or the number.
func (t MapType) String() string {
	if int(t) < len(mapTypeNames) {
		return mapTypeNames[t]
	}
	return strconv.FormatUint(uint64(t), 10)
}

// ParseMapType accepts a kernel name in lower case without its prefix, or a number.
func ParseMapType(s string) (MapType, error) {
	for i, n := range mapTypeNames {
		if n == s {
			return MapType(i), nil
		}
	}
	if v, err := strconv.ParseUint(s, 0, 32); err == nil {
		return MapType(v), nil
	}
	return 0, fmt.Errorf("unknown map type %q", s)
}

// Map flags (BPF_F_*) accepted at BPF_MAP_CREATE.
const (
	FlagNoPrealloc    uint32 = 1 << 0
	FlagNoCommonLRU   uint32 = 1 << 1
	FlagNumaNode      uint32 = 1 << 2
	FlagRdonly        uint32 = 1 << 3
	FlagWronly        uint32 = 1 << 4
	FlagStackBuildID  uint32 = 1 << 5
	FlagZeroSeed      uint32 = 1 << 6
	FlagRdonlyProg    uint32 = 1 << 7
	FlagWronlyProg    uint32 = 1 << 8
	FlagClone         uint32 = 1 << 9
	FlagMmapable      uint32 = 1 << 10
	FlagPreserveElems uint32 = 1 << 11
	FlagInnerMap      uint32 = 1 << 12
	FlagLink          uint32 = 1 << 13
	FlagPathFD        uint32 = 1 << 14
	FlagVtypeBTFObjFD uint32 = 1 << 15
	FlagTokenFD       uint32 = 1 << 16
	FlagSegvOnFault   uint32 = 1 << 17
	FlagNoUserConv    uint32 = 1 << 18

	flagAccessMask = FlagRdonly | FlagWronly
)

var mapFlagNames = []struct {
	name string
	bit  uint32
}{
	{"no_prealloc", FlagNoPrealloc}, {"no_common_lru", FlagNoCommonLRU},
	{"numa_node", FlagNumaNode}, {"rdonly", FlagRdonly}, {"wronly", FlagWronly},
	{"stack_build_id", FlagStackBuildID}, {"zero_seed", FlagZeroSeed},
	{"rdonly_prog", FlagRdonlyProg}, {"wronly_prog", FlagWronlyProg},
	{"clone", FlagClone}, {"mmapable", FlagMmapable},
	{"preserve_elems", FlagPreserveElems}, {"inner_map", FlagInnerMap},
}

// ParseMapFlags parses "no_prealloc|zero_seed" or numbers joined by "|".
func ParseMapFlags(s string) (uint32, error) {
	var flags uint32
	for _, part := range strings.Split(s, "|") {
		found := false
		for _, f := range mapFlagNames {
			if f.name == part {
				flags |= f.bit
				found = true
			}
		}
		if found {
			continue
		}
		v, err := strconv.ParseUint(part, 0, 32)
		if err != nil {
			return 0, fmt.Errorf("unknown map flag %q", part)
		}
		flags |= uint32(v)
	}
	return flags, nil
}

// FormatMapFlags is the inverse of ParseMapFlags; unknown bits print as numbers.
func FormatMapFlags(flags uint32) string {
	if flags == 0 {
		return "0"
	}
	var parts []string
	for _, f := range mapFlagNames {
		if flags&f.bit != 0 {
			parts = append(parts, f.name)
			flags &^= f.bit
		}
	}
	if flags != 0 {
		parts = append(parts, fmt.Sprintf("%#x", flags))
	}
	return strings.Join(parts, "|")
}

// Element update flags (BPF_ANY and friends).
const (
	UpdateAny     uint64 = 0
	UpdateNoExist uint64 = 1
	UpdateExist   uint64 = 2
	UpdateLock    uint64 = 4 // BPF_F_LOCK
)

// ProgType is a program type number from the UAPI (BPF_PROG_TYPE_*).
type ProgType uint32

const (
	ProgSocketFilter ProgType = 1
	ProgKprobe       ProgType = 2
	ProgSchedCLS     ProgType = 3
	ProgSchedACT     ProgType = 4
	ProgTracepoint   ProgType = 5
	ProgXDP          ProgType = 6
)

var progTypeNames = map[ProgType]string{
	ProgSocketFilter: "socket_filter", ProgKprobe: "kprobe", ProgSchedCLS: "sched_cls",
	ProgSchedACT: "sched_act", ProgTracepoint: "tracepoint", ProgXDP: "xdp",
}

func (t ProgType) String() string {
	if n, ok := progTypeNames[t]; ok {
		return n
	}
	return strconv.FormatUint(uint64(t), 10)
}

// ParseProgType accepts a lower-case kernel name without its prefix, or a number.
func ParseProgType(s string) (ProgType, error) {
	for t, n := range progTypeNames {
		if n == s {
			return t, nil
		}
	}
	if v, err := strconv.ParseUint(s, 0, 32); err == nil {
		return ProgType(v), nil
	}
	return 0, fmt.Errorf("unknown program type %q", s)
}
