// Atomic operations on map values (needs -mcpu=v3 for the fetch forms).
#include "bpf_min.h"

struct stats {
	__u64 packets;
	__u64 bytes;
	__u64 flags;
	__u64 last;
	__u32 small;
	__u32 small_or;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stats);
} stats SEC(".maps");

SEC("xdp")
int atomics(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct stats *s = bpf_map_lookup_elem(&stats, &key);
	__u64 len = ctx->data_end - ctx->data;
	__u64 old;

	if (!s)
		return XDP_ABORTED;
	__sync_fetch_and_add(&s->packets, 1);
	old = __sync_fetch_and_add(&s->bytes, len);
	__sync_fetch_and_or(&s->flags, 4);
	__sync_fetch_and_and(&s->flags, ~1ULL);
	__sync_fetch_and_xor(&s->flags, 2);
	old += __sync_fetch_and_or(&s->flags, 8);
	old += __sync_lock_test_and_set(&s->last, len);
	old += __sync_val_compare_and_swap(&s->last, len, old);
	__sync_fetch_and_add(&s->small, 1);
	s->small_or = __sync_fetch_and_xor(&s->small_or, (__u32)len);
	__sync_val_compare_and_swap(&s->small, 7, (__u32)old);
	return old & 1 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
