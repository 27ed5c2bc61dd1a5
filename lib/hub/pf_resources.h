/*
 * pf_resources: the resource plan's arithmetic. Weights memory from the
 * safetensors headers, KV-cache size from config.json and the policy's
 * context length and batch, and the device count from the policy's device
 * catalogue. The formulas are documented in pf-preflight(1).
 */
#ifndef PF_RESOURCES_H
#define PF_RESOURCES_H

#include <jansson.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_safetensors.h"

struct pf_kv_shape {
	uint64_t layers;   /* num_hidden_layers | n_layer | num_layers */
	uint64_t kv_heads; /* num_key_value_heads, else attention heads */
	uint64_t head_dim; /* head_dim, else hidden_size / heads */
	uint64_t max_positions; /* max_position_embeddings | n_positions, 0 unknown */
};

struct pf_resource_in {
	uint64_t weights_bytes;
	struct pf_kv_shape kv;	 /* all zero when config.json said nothing */
	uint64_t context_length; /* policy resources.context_length */
	uint64_t batch_size;
	uint64_t kv_dtype_bytes;
	double overhead;      /* multiplier for activations, runtime */
	double device_gb;     /* memory of one device, GB (1e9 bytes) */
	uint64_t max_devices; /* per node; 8 for Gaudi and HGX */
};

struct pf_resource_out {
	uint64_t kv_cache_bytes;
	uint64_t context_used; /* min(context_length, max_positions) */
	double weights_gb, kv_cache_gb, total_gb;
	uint64_t devices_needed;      /* ceil(total / device) */
	uint64_t recommended_devices; /* next power of two, for tensor parallelism */
	int fits;		      /* recommended <= max_devices */
};

/* Reads the KV shape from a config.json object (text_config too). Returns 0, -1 when unknown. */
int pf_kv_shape_from_config(const json_t *config, struct pf_kv_shape *kv);
/* Computes the plan. Returns 0, or -1 with e set on overflow. */
int pf_resources_compute(const struct pf_resource_in *in,
    struct pf_resource_out *out, struct pf_err *e);

/*
 * Fills the policy's part of in: resources.context_length, batch_size,
 * kv_cache_dtype_bytes and overhead_factor (defaults 4096, 1, 2, 1.2), and
 * the memory and per_node count of device type device from
 * resources.devices. Code 2 when the device type is not in the catalogue.
 */
int pf_resources_from_policy(const json_t *policy, const char *device,
    struct pf_resource_in *in, struct pf_err *e);

/* Parameter counts of the safetensors headers read, summed. */
struct pf_weights {
	uint64_t by_dtype[PF_ST_NDTYPES];
	uint64_t params, bytes, tensors;
	size_t files; /* headers counted */
};

void pf_weights_add(struct pf_weights *w, const struct pf_st_info *info);

/*
 * plan.json's resource_plan for device type device (in and out as
 * pf_resources_compute used them); new reference, NULL when out of memory.
 */
json_t *pf_resources_json(const char *device, const struct pf_weights *w,
    const struct pf_resource_in *in, const struct pf_resource_out *out);

#endif
