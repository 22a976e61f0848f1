// A per-CPU hash counter and a plain hash counter keyed by a random bucket.
#include "bpf_min.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int count_pcpu(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index & 63;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&pcpu_counts, &key);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&pcpu_counts, &key, &one, BPF_NOEXIST);
	return XDP_PASS;
}

SEC("xdp")
int count_hash(struct xdp_md *ctx)
{
	__u64 key = bpf_get_prandom_u32() % 100;
	__u64 init = 1, *v;

	v = bpf_map_lookup_elem(&counts, &key);
	if (!v) {
		bpf_map_update_elem(&counts, &key, &init, BPF_ANY);
		return XDP_PASS;
	}
	if (*v > 1000)
		bpf_map_delete_elem(&counts, &key);
	else
		*v = *v * 3 + (bpf_ktime_get_ns() >> 20);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
