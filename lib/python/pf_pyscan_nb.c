/*
 * pf_pyscan_nb: Jupyter notebooks. Each code cell is scanned as its own
 * source with findings named by cell, and IPython magics and shell
 * escapes ('!cmd', '%%bash') are reported as commands.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_pyscan.h"
#include "pf_pyscan_priv.h"
#include "pf_pytok.h"
#include "pf_pyuni.h"
#include "pf_banned.h"

/* ---- notebooks ---- */

/* Passes findings on with the cell they are in. */
struct nbctx {
	pf_pyscan_cb cb;
	void *ctx;
	long cell;
};

static int
nb_cb(void *c, const struct pf_pyscan_finding *f)
{
	struct nbctx *n = c;
	struct pf_pyscan_finding g = *f;

	g.cell = n->cell;
	return n->cb(n->ctx, &g);
}

/*
 * IPython lines are not Python: '!cmd' and 'x = !cmd' run a shell, '%pip'
 * installs, '%%bash' makes the whole cell a script. They are reported and
 * blanked (kept as spaces, so line numbers hold) before the cell is
 * tokenised. Returns 0, or 1 when the cell is not Python at all.
 */
static int
magics(const struct pf_pyscan_rules *rs, struct nbctx *n, char *src, size_t len,
    size_t base)
{
	static const char *const shells[] = { "bash", "sh", "script", "system",
		"zsh", "perl", "ruby", NULL };
	static const char *const text[] = { "writefile", "file", "html",
		"javascript", "js", "latex", "markdown", "svg",
		"capture_output", NULL };
	size_t i = 0, start, end, k, w;
	uint32_t line = 0;
	int shell_cell = 0, first = 1;
	char *p, *cmd;

	while (i < len) {
		start = i;
		for (end = start;
		     end < len && src[end] != '\n' && src[end] != '\r'; end++)
			;
		line++;
		p = src + start;
		for (k = start; k < end && (src[k] == ' ' || src[k] == '\t'); k++)
			;
		cmd = NULL;
		if (first && end - k > 2 && src[k] == '%' && src[k + 1] == '%') {
			for (w = k + 2; w < end && src[w] != ' '; w++)
				;
			for (size_t j = 0; shells[j] != NULL; j++)
				if (strlen(shells[j]) == w - k - 2 &&
				    memcmp(src + k + 2, shells[j], w - k - 2) == 0)
					shell_cell = 1;
			for (size_t j = 0; text[j] != NULL; j++)
				if (strlen(text[j]) == w - k - 2 &&
				    memcmp(src + k + 2, text[j], w - k - 2) == 0)
					return 1;
			if (shell_cell) {
				char name[64];

				(void)snprintf(name, sizeof(name), "%.*s",
				    (int)(w - k), src + k);
				if (pf_pyscan_report(rs, "notebook-shell", name,
					base + k, line, 1, p, end - start,
					nb_cb, n) == -1)
					return -1;
			}
			memset(src + start, ' ', end - start);
		} else if (shell_cell) {
			if (pyscan_strings(rs, src + start, end - start, base + start,
				line, 1, p, end - start, nb_cb, n) == -1)
				return -1;
		} else if (k < end && (src[k] == '!' || src[k] == '%')) {
			cmd = src + k;
		} else {
			/* x = !cmd */
			for (w = k; w < end &&
			     (src[w] == '_' ||
				 ((src[w] | 0x20) >= 'a' && (src[w] | 0x20) <= 'z') ||
				 (w > k && src[w] >= '0' && src[w] <= '9'));
			     w++)
				;
			if (w > k) {
				while (w < end && src[w] == ' ')
					w++;
				if (w < end && src[w] == '=' && w + 1 < end &&
				    src[w + 1] != '=') {
					w++;
					while (w < end && src[w] == ' ')
						w++;
					if (w < end &&
					    (src[w] == '!' || src[w] == '%'))
						cmd = src + w;
				}
			}
		}
		if (cmd != NULL) {
			size_t cl = (size_t)(src + end - cmd);

			if (cmd[0] == '!' ||
			    (cl > 7 &&
				(memcmp(cmd, "%system", 7) == 0 ||
				    memcmp(cmd, "%sx ", 4) == 0))) {
				char name[128];

				/* the command, cut; control bytes become '?' */
				(void)snprintf(name, sizeof(name), "%.*s",
				    (int)(cl > 120 ? 120 : cl), cmd);
				for (w = 0; name[w] != '\0'; w++)
					if ((unsigned char)name[w] < 0x20)
						name[w] = '?';
				if (pf_pyscan_report(rs, "notebook-shell", name,
					base + start, line, (uint32_t)(cmd - p) + 1,
					p, end - start, nb_cb, n) == -1)
					return -1;
			}
			/* '%pip install x' is 'pip install x' to the rules */
			if (pyscan_strings(rs, cmd + 1, cl - 1, base + start,
				line, (uint32_t)(cmd - p) + 1, p, end - start,
				nb_cb, n) == -1)
				return -1;
			memset(src + start, ' ', end - start);
		}
		if (end < len && src[end] == '\r' && end + 1 < len &&
		    src[end + 1] == '\n')
			end++;
		i = end + 1;
		first = 0;
	}
	return shell_cell;
}

/* Appends a cell's source (a string or an array of strings) to b. */
static int
cell_source(const json_t *src, struct pf_buf *b)
{
	const json_t *v;
	size_t i;

	if (json_is_string(src))
		return pf_buf_append(b, json_string_value(src),
		    json_string_length(src));
	if (!json_is_array(src))
		return -2;
	json_array_foreach(src, i, v) {
		if (!json_is_string(v))
			return -2;
		if (pf_buf_append(b, json_string_value(v),
			json_string_length(v)) == -1)
			return -1;
	}
	return 0;
}

/* Reports a finding about the notebook itself (no cell, no line). */
static int
nb_report(const struct pf_pyscan_rules *rs, struct nbctx *n, const char *b,
    const char *name)
{
	n->cell = -1;
	return pf_pyscan_report(rs, b, name, 0, 0, 0, NULL, 0, nb_cb, n);
}

int
pf_pyscan_notebook(const struct pf_pyscan_rules *rs,
    const struct pf_pyscan_opts *o, const char *data, size_t len,
    size_t max_cells, size_t max_source, pf_pyscan_cb cb, void *ctx,
    struct pf_pyscan_stats *stats, struct pf_err *e)
{
	struct pf_pyscan_opts co = *o;
	struct nbctx n = { cb, ctx, -1 };
	const json_t *cells, *c, *src;
	struct pf_err pe;
	struct pf_buf b;
	json_t *nb;
	size_t i;
	int rc, r = 0;

	pf_err_clear(&pe);
	if ((nb = pf_json_parse(data, len, "notebook", &pe)) == NULL) {
		if (pe.code == PF_EXIT_FAILURE)
			return pf_err_nomem(e);
		return nb_report(rs, &n, "notebook-malformed", pe.msg);
	}
	cells = json_object_get(nb, "cells");
	if (cells == NULL) {
		/* nbformat 3: worksheets[0].cells[].input */
		cells = json_object_get(json_array_get(json_object_get(nb,
							   "worksheets"),
					    0),
		    "cells");
	}
	if (!json_is_array(cells)) {
		r = nb_report(rs, &n, "notebook-malformed", "no cells array");
		json_decref(nb);
		return r;
	}
	co.no_import_time = 1; /* cells run when someone runs them */
	json_array_foreach(cells, i, c) {
		if (i >= max_cells) {
			r = nb_report(rs, &n, "source-limit",
			    "PF_MAX_NOTEBOOK_CELLS");
			break;
		}
		if (!json_is_object(c) ||
		    strcmp(pf_json_str(c, "cell_type", ""), "code") != 0)
			continue;
		if (stats != NULL)
			stats->cells++;
		src = json_object_get(c, "source");
		if (src == NULL)
			src = json_object_get(c, "input");
		pf_buf_init(&b, max_source);
		rc = cell_source(src, &b);
		if (rc == -2)
			r = nb_report(rs, &n, "notebook-malformed",
			    "a cell source is not text");
		else if (rc == -1)
			r = nb_report(rs, &n, "source-limit", "PF_MAX_PY_SOURCE");
		else {
			n.cell = (long)i;
			rc = b.data != NULL ? magics(rs, &n, b.data, b.len, 0) : 0;
			if (rc == -1)
				r = -1;
			else if (rc == 0)
				r = pf_pyscan_source(rs, &co, b.data ? b.data : "",
				    b.len, nb_cb, &n, stats, e);
		}
		pf_buf_free(&b);
		if (r == -1)
			break;
	}
	json_decref(nb);
	if (r == -1 && e->code == 0)
		pf_err_set(e, PF_EXIT_FAILURE, "notebook: scan stopped");
	return r;
}
