// A tail-call dispatcher: picks a slot in a prog_array by the packet's first byte.
#include "bpf_min.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jump_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} stage_hits SEC(".maps");

static __always_inline void hit(__u32 stage)
{
	__u64 *v = bpf_map_lookup_elem(&stage_hits, &stage);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	hit(0);
	if ((void *)(p + 1) > data_end)
		return XDP_ABORTED;
	bpf_tail_call(ctx, &jump_table, p[0] & 3);
	return XDP_PASS;
}

SEC("xdp")
int stage1(struct xdp_md *ctx)
{
	hit(1);
	bpf_tail_call(ctx, &jump_table, 2);
	return XDP_DROP;
}

SEC("xdp")
int stage2(struct xdp_md *ctx)
{
	hit(2);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
