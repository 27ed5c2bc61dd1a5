/* pf_resources: weights + KV cache -> devices, overflow-checked. */
#include <math.h>
#include <string.h>

#include "pf_int.h"
#include "pf_resources.h"
#include "pf_banned.h"

/* The first positive integer member among keys, or 0. */
static uint64_t
first_uint(const json_t *obj, const char *const *keys)
{
	for (; *keys != NULL; keys++) {
		const json_t *v = json_object_get(obj, *keys);

		if (json_is_integer(v) && json_integer_value(v) > 0)
			return (uint64_t)json_integer_value(v);
	}
	return 0;
}

int
pf_kv_shape_from_config(const json_t *config, struct pf_kv_shape *kv)
{
	static const char *const layers[] = { "num_hidden_layers", "n_layer",
	    "num_layers", "n_layers", NULL };
	static const char *const heads[] = { "num_attention_heads", "n_head",
	    "n_heads", NULL };
	static const char *const kvh[] = { "num_key_value_heads",
	    "num_kv_heads", "n_kv_heads", "multi_query_group_num", NULL };
	static const char *const hidden[] = { "hidden_size", "n_embd",
	    "d_model", "dim", NULL };
	static const char *const hdim[] = { "head_dim", "kv_channels", NULL };
	static const char *const pos[] = { "max_position_embeddings",
	    "n_positions", "max_seq_len", "seq_length", NULL };
	const json_t *text = json_object_get(config, "text_config");
	uint64_t h, hid;

	memset(kv, 0, sizeof(*kv));
	/* Multimodal configs keep the language model under text_config. */
	if (json_is_object(text) && first_uint(config, layers) == 0)
		config = text;
	kv->layers = first_uint(config, layers);
	h = first_uint(config, heads);
	kv->kv_heads = first_uint(config, kvh);
	if (kv->kv_heads == 0)
		kv->kv_heads = h;
	kv->head_dim = first_uint(config, hdim);
	hid = first_uint(config, hidden);
	if (kv->head_dim == 0 && h > 0 && hid % h == 0)
		kv->head_dim = hid / h;
	kv->max_positions = first_uint(config, pos);
	if (kv->layers == 0 || kv->kv_heads == 0 || kv->head_dim == 0) {
		memset(kv, 0, sizeof(*kv));
		return -1;
	}
	return 0;
}

static uint64_t
next_pow2(uint64_t n)
{
	uint64_t p = 1;

	while (p < n && p < (UINT64_C(1) << 62))
		p <<= 1;
	return p;
}

int
pf_resources_compute(const struct pf_resource_in *in,
    struct pf_resource_out *out, struct pf_err *e)
{
	uint64_t ctx = in->context_length, kv = 0;

	memset(out, 0, sizeof(*out));
	if (in->kv.max_positions > 0 && in->kv.max_positions < ctx)
		ctx = in->kv.max_positions;
	out->context_used = ctx;
	/* K and V: 2 x layers x kv_heads x head_dim x tokens x batch x bytes. */
	if (in->kv.layers > 0 &&
	    (!pf_mul_u64(2, in->kv.layers, &kv) ||
	    !pf_mul_u64(kv, in->kv.kv_heads, &kv) ||
	    !pf_mul_u64(kv, in->kv.head_dim, &kv) ||
	    !pf_mul_u64(kv, ctx, &kv) ||
	    !pf_mul_u64(kv, in->batch_size, &kv) ||
	    !pf_mul_u64(kv, in->kv_dtype_bytes, &kv)))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "KV-cache size overflows 64 bits");
	out->kv_cache_bytes = kv;
	out->weights_gb = (double)in->weights_bytes / 1e9;
	out->kv_cache_gb = (double)kv / 1e9;
	out->total_gb = (out->weights_gb + out->kv_cache_gb) * in->overhead;
	if (in->device_gb > 0) {
		double need = ceil(out->total_gb / in->device_gb);

		out->devices_needed = need < 1 ? 1 : (uint64_t)need;
		out->recommended_devices = next_pow2(out->devices_needed);
		out->fits = out->recommended_devices <= in->max_devices;
	}
	return 0;
}
