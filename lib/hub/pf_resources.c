/* pf_resources: weights + KV cache -> devices, overflow-checked. */
#include <math.h>
#include <string.h>

#include "pf_diag.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_policy.h"
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
		!pf_mul_u64(kv, ctx, &kv) || !pf_mul_u64(kv, in->batch_size, &kv) ||
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

/* A positive integer from the policy, else dflt. */
static uint64_t
policy_uint(const json_t *policy, const char *key, uint64_t dflt)
{
	const json_t *v = pf_policy_get(policy, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
	    (uint64_t)json_integer_value(v) :
	    dflt;
}

int
pf_resources_from_policy(const json_t *policy, const char *device,
    struct pf_resource_in *in, struct pf_err *e)
{
	const json_t *d = json_object_get(pf_policy_get(policy, "resources.devices"),
	    device);
	const json_t *ov = pf_policy_get(policy, "resources.overhead_factor");

	in->context_length = policy_uint(policy, "resources.context_length", 4096);
	in->batch_size = policy_uint(policy, "resources.batch_size", 1);
	in->kv_dtype_bytes = policy_uint(policy,
	    "resources.kv_cache_dtype_bytes", 2);
	in->overhead = json_is_number(ov) ? json_number_value(ov) : 1.2;
	if (!json_is_object(d))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: device type %s is "
		    "not in resources.devices",
		    pf_quote(device));
	in->max_devices = (uint64_t)pf_json_int(d, "per_node", 8);
	in->device_gb = json_number_value(json_object_get(d, "memory_gb"));
	return 0;
}

void
pf_weights_add(struct pf_weights *w, const struct pf_st_info *info)
{
	size_t d;

	for (d = 0; d < PF_ST_NDTYPES; d++)
		w->by_dtype[d] += info->params_by_dtype[d];
	w->params += info->parameters;
	w->bytes += info->data_len;
	w->tensors += info->tensors;
	w->files++;
}

json_t *
pf_resources_json(const char *device, const struct pf_weights *w,
    const struct pf_resource_in *in, const struct pf_resource_out *out)
{
	json_t *dt = json_object();
	size_t d;

	if (dt == NULL)
		return NULL;
	for (d = 0; d < PF_ST_NDTYPES; d++)
		if (w->by_dtype[d] > 0 &&
		    json_object_set_new(dt, pf_st_dtype_name((enum pf_st_dtype)d),
			json_integer((json_int_t)w->by_dtype[d])) == -1) {
			json_decref(dt);
			return NULL;
		}
	return json_pack("{s:s, s:s, s:f, s:{s:I, s:o}, s:I, s:I, s:f, s:I, s:I, "
			 "s:I, s:f, s:f, s:I, s:I, s:b}",
	    "basis", w->files ? "safetensors-headers" : "unavailable",
	    "device_type", device, "device_memory_gb", in->device_gb,
	    "parameters", "total", (json_int_t)w->params, "by_dtype", dt,
	    "tensors", (json_int_t)w->tensors, "weights_bytes",
	    (json_int_t)w->bytes, "estimated_weights_gb", out->weights_gb,
	    "context_length", (json_int_t)out->context_used, "batch_size",
	    (json_int_t)in->batch_size, "kv_cache_bytes",
	    (json_int_t)out->kv_cache_bytes, "kv_cache_gb", out->kv_cache_gb,
	    "estimated_vram_gb", out->total_gb, "devices_needed",
	    (json_int_t)out->devices_needed, "recommended_device_count",
	    (json_int_t)out->recommended_devices, "fits_one_node", out->fits);
}
