/*
 * pf_hfconfig: Hugging Face configuration files (config.json,
 * generation_config.json, tokenizer_config.json, chat_template.json, any
 * *config.json) walked for what makes a loader run or fetch code: auto_map
 * (and auto_map into another repository), trust_remote_code, custom
 * pipelines, keys naming other repositories. Chat templates are handed to
 * a callback for pf_jinja.
 */
#ifndef PF_HFCONFIG_H
#define PF_HFCONFIG_H

#include <stddef.h>

#include "pf_err.h"
#include "pf_wfind.h"

/* A chat template found in the file (the top-level chat_template member). */
typedef void (*pf_hfconfig_template_fn)(void *ctx, const char *t, size_t len);

/*
 * Walks the JSON in json[0..len) (duplicate keys refused); what names it
 * in messages. Findings (rules weights.config.*) go to w. Returns 0, or -1
 * with e set: code 1 when it is not valid JSON, 3 on memory.
 */
int pf_hfconfig_scan(const char *json, size_t len, const char *what,
    pf_hfconfig_template_fn fn, void *ctx, const struct pf_wfind *w,
    struct pf_err *e);

#endif
