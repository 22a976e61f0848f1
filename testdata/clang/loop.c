// A bounded loop, a BPF-to-BPF call, global data and signed arithmetic.
#include "bpf_min.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sums SEC(".maps");

__u64 total = 0;
const char greeting[] = "hello, bpf";

static __noinline __u64 mix(__s64 a, __u64 b)
{
	if (a < (__s64)b)
		return (a * 31) ^ (b >> 3);
	return (__u64)a / 7 - (b % 5);
}

SEC("tc")
int loop_sum(struct __sk_buff *skb)
{
	__u32 key = 0;
	__s64 acc = skb->len;
	__u64 *v;

	for (int i = 0; i < 16; i++) {
		if (i > (int)(skb->mark & 15))
			break;
		acc = mix(acc, i) + greeting[i % 10];
	}
	v = bpf_map_lookup_elem(&sums, &key);
	if (v)
		*v += acc;
	total += acc;
	return acc > 0 ? 0 : -1;
}

char _license[] SEC("license") = "GPL";
