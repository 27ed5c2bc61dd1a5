#!/bin/sh
# Seeds for fuzz-json: a config.json, a sibling list, deep and odd JSON.
d=${1:?usage: seeds-json.sh DIR}
mkdir -p "$d"
printf '%s' '{"num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "hidden_size": 4096, "max_position_embeddings": 8192}' >"$d/config"
printf '%s' '{"text_config": {"n_layer": 2, "n_head": 4, "n_embd": 64}}' >"$d/text"
printf '%s' '{"a/../b": "x", "ok/name.json": "/abs", "nul": "a\u0000b"}' >"$d/names"
printf '%s' '[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]' >"$d/deep"
printf '%s' '{"k": 1, "k": 2}' >"$d/dup"
# numbers jansson cannot hold: rewritten by pf_jnum before a second parse
printf '%s' '{"model_max_length": 1000000000000000019884624838656, "r": -1e999, "s": "1e999", "n": [-99999999999999999999, 0.5e-400]}' >"$d/bignum"
