/*
 * pf_pyscan_fold: constant folding. A call whose callee and arguments are
 * constants is evaluated when it builds a string: ''.join, chr, bytes,
 * bytes.fromhex, codecs rot13, base64, zlib, reversal, replace and case
 * changes, each bounded by max_fold, so obfuscated names are seen as the
 * strings they build.
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

/* ---- decoders for folding ---- */

static void
fold_rot13(struct val *v)
{
	size_t i;
	char c;

	for (i = 0; i < v->len; i++) {
		c = v->s[i];
		if (c >= 'a' && c <= 'z')
			v->s[i] = (char)('a' + (c - 'a' + 13) % 26);
		else if (c >= 'A' && c <= 'Z')
			v->s[i] = (char)('A' + (c - 'A' + 13) % 26);
	}
}

static int
b64val(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decodes in (base 64, 32 or 16) into out; 0, or -1 when not decodable. */
static int
decode_base(struct scan *sc, const struct val *in, struct val *out, int base,
    int url)
{
	uint32_t acc = 0;
	int bits = 0, d, per = base == 64 ? 6 : base == 32 ? 5 : 4;
	size_t i;
	char c;

	out->kind = VK_BYTES;
	out->len = 0;
	if (in->trunc)
		out->trunc = 1;
	for (i = 0; i < in->len; i++) {
		c = in->s[i];
		if (c == '=' || c == '\n' || c == '\r' || c == ' ')
			continue;
		if (base == 64)
			d = b64val((unsigned char)c, url);
		else if (base == 32)
			d = (c >= 'A' && c <= 'Z') ? c - 'A' :
			    (c >= '2' && c <= '7') ? c - '2' + 26 :
						     -1;
		else
			d = pf_hexval((unsigned char)c);
		if (d < 0)
			return -1;
		acc = (acc << per) | (uint32_t)d;
		bits += per;
		if (bits >= 8) {
			bits -= 8;
			c = (char)((acc >> bits) & 0xff);
			pys_val_append(sc, out, &c, 1);
		}
	}
	return 0;
}

static int
name_is(const struct val *v, const char *s)
{
	return v->kind == VK_REF && v->resolved && pys_streq(v, s);
}

/* An argument by position or keyword, or NULL. */
const struct val *
pys_arg(const struct frame *f, int pos, const char *kw)
{
	size_t i;

	if (kw != NULL)
		for (i = 0; i < f->nkw; i++)
			if (strcmp(f->kwname[i], kw) == 0)
				return &f->kwargs[i];
	if (pos >= 0 && pos < f->nargs && pos < NARGS)
		return &f->args[pos];
	return NULL;
}

static void
list_join(struct scan *sc, const struct val *list, const char *sep, size_t sl,
    struct val *out)
{
	size_t i, start = 0;

	out->kind = VK_STR;
	out->len = 0;
	out->trunc = list->trunc;
	for (i = 0; i <= list->len; i++) {
		if (i < list->len && list->s[i] != '\0')
			continue;
		if (start > 0)
			pys_val_append(sc, out, sep, sl);
		pys_val_append(sc, out, list->s + start, i - start);
		start = i + 1;
		if (start == 0)
			break;
	}
}

/* Only calls of these modules and constants' methods fold to a value. */
/*
 * Objects whose methods the rules name: an archive opened with tarfile or
 * zipfile ("<tar>", "<zip>"; "<tar:host>" when its path is a constant
 * outside the model folder, a file of the machine rather than of the
 * model or the network) and a socket ("<socket>").
 */
static const char *
object_kind(const struct frame *f)
{
	const struct val *c = &f->callee, *a;
	int tar;

	if (name_is(c, "socket.socket"))
		return "<socket>";
	tar = name_is(c, "tarfile.open") || name_is(c, "tarfile.TarFile") ||
	    name_is(c, "tarfile.TarFile.open");
	if (!tar && !name_is(c, "zipfile.ZipFile"))
		return NULL;
	a = pys_arg(f, 0, tar ? "name" : "file");
	if (a != NULL && pys_outside(a))
		return tar ? "<tar:host>" : "<zip:host>";
	return tar ? "<tar>" : "<zip>";
}

static int
foldable(const struct val *c)
{
	static const char *const roots_fold[] = { "builtins.", "base64.",
		"binascii.", "codecs.", "zlib.", "gzip.", "bz2.", "lzma.",
		"marshal.", "importlib.", "pathlib.", "os.", "tempfile.", "<",
		NULL };
	size_t i, k;

	for (i = 0; roots_fold[i] != NULL; i++) {
		k = strlen(roots_fold[i]);
		if (c->len >= k && memcmp(c->s, roots_fold[i], k) == 0)
			return 1;
	}
	return 0;
}

/* The value of a call whose result we can compute from constants. */
void
pys_fold_call(struct scan *sc, const struct frame *f, struct val *out)
{
	const struct val *c = &f->callee, *a0 = pys_arg(f, 0, NULL), *a1, *ev;
	struct val tmp;
	const char *obj;
	size_t i, k;
	int codec;

	pys_val_none(out);
	out->at = c->at;
	out->kind = VK_UNKNOWN;
	for (i = 0; i < f->nargs && i < NARGS; i++) {
		out->decoded |= f->args[i].decoded;
		out->fold |= f->args[i].fold;
	}
	out->decoded |= f->recv.decoded;
	out->fold |= f->recv.fold;
	if (c->kind != VK_REF || (!c->resolved && c->s[0] != '<'))
		return;
	if ((obj = object_kind(f)) != NULL) {
		pys_ref_set(sc, out, obj, strlen(obj), 0);
		out->at = c->at;
		return;
	}
	if (!foldable(c))
		return;
	if (name_is(c, "builtins.chr")) {
		if (a0 != NULL && a0->kind == VK_INT && a0->ival >= 0 &&
		    a0->ival <= 0x10ffff) {
			pys_val_none(out);
			out->at = c->at;
			out->kind = VK_STR;
			out->fold = FO_CHR;
			pys_val_utf8(sc, out, (uint32_t)a0->ival);
		} else if (a0 != NULL && a0->kind == VK_REF && !a0->resolved)
			out->kind = VK_CHRVAR;
		return;
	}
	if ((name_is(c, "builtins.bytes") || name_is(c, "builtins.bytearray")) &&
	    a0 != NULL) {
		if (a0->kind == VK_LIST && a0->ints) {
			/* the ints were kept as UTF-8 code points */
			pys_val_none(out);
			out->at = c->at;
			out->kind = VK_BYTES;
			out->fold = a0->fold | FO_CHR;
			for (i = 0; i < a0->len;) {
				unsigned char b = (unsigned char)a0->s[i];
				uint32_t cp = b;

				if (b == 0 && i + 0 < a0->len) {
					i++;
					continue; /* separator */
				}
				if (b >= 0xc0 && i + 1 < a0->len) {
					cp = ((uint32_t)(b & 31) << 6) |
					    ((unsigned char)a0->s[i + 1] & 63);
					i += 2;
				} else
					i++;
				if (cp > 255) {
					out->kind = VK_UNKNOWN;
					return;
				}
				{
					char ch = (char)cp;

					pys_val_append(sc, out, &ch, 1);
				}
			}
		} else if (a0->kind == VK_STR) {
			pys_val_copy(out, a0);
			out->kind = VK_BYTES;
			out->at = c->at;
		}
		return;
	}
	if (name_is(c, "builtins.str") && a0 != NULL && pys_is_const(a0)) {
		pys_val_copy(out, a0);
		out->kind = VK_STR;
		out->at = c->at;
		return;
	}
	if (name_is(c, "builtins.map") && a0 != NULL &&
	    name_is(a0, "builtins.chr") && (a1 = pys_arg(f, 1, NULL)) != NULL &&
	    a1->kind == VK_LIST && a1->ints) {
		pys_val_copy(out, a1);
		out->ints = 0;
		out->fold |= FO_CHR;
		out->at = c->at;
		return;
	}
	if (name_is(c, "builtins.reversed") && a0 != NULL && a0->kind == VK_STR) {
		pys_val_copy(out, a0);
		for (i = 0, k = out->len; i + 1 < k; i++, k--) {
			char t = out->s[i];

			out->s[i] = out->s[k - 1];
			out->s[k - 1] = t;
		}
		out->fold |= FO_REVERSE;
		out->at = c->at;
		return;
	}
	if (name_is(c, "builtins.bytes.fromhex") ||
	    name_is(c, "builtins.bytearray.fromhex") ||
	    name_is(c, "binascii.unhexlify") ||
	    name_is(c, "binascii.a2b_hex") || name_is(c, "base64.b16decode")) {
		out->decoded = 1;
		out->fold |= FO_HEX;
		if (a0 != NULL && pys_is_const(a0)) {
			pys_val_none(&tmp);
			if (decode_base(sc, a0, &tmp, 16, 0) == 0) {
				tmp.fold = a0->fold | FO_HEX;
				tmp.decoded = 1;
				tmp.at = c->at;
				pys_val_copy(out, &tmp);
			}
		}
		return;
	}
	if (name_is(c, "base64.b64decode") ||
	    name_is(c, "base64.standard_b64decode") ||
	    name_is(c, "base64.urlsafe_b64decode") ||
	    name_is(c, "base64.decodebytes") || name_is(c, "base64.decodestring") ||
	    name_is(c, "binascii.a2b_base64") || name_is(c, "base64.b32decode")) {
		out->decoded = 1;
		out->fold |= FO_BASE64;
		if (a0 != NULL && pys_is_const(a0)) {
			pys_val_none(&tmp);
			if (decode_base(sc, a0, &tmp,
				name_is(c, "base64.b32decode") ? 32 : 64,
				name_is(c, "base64.urlsafe_b64decode")) == 0) {
				tmp.fold = a0->fold | FO_BASE64;
				tmp.decoded = 1;
				tmp.at = c->at;
				pys_val_copy(out, &tmp);
			}
		}
		return;
	}
	if (name_is(c, "base64.b85decode") || name_is(c, "base64.a85decode")) {
		out->decoded = 1;
		out->fold |= FO_BASE64;
		return;
	}
	if (name_is(c, "zlib.decompress") || name_is(c, "gzip.decompress") ||
	    name_is(c, "bz2.decompress") || name_is(c, "lzma.decompress") ||
	    name_is(c, "marshal.loads")) {
		out->decoded = 1;
		out->fold |= FO_ZLIB;
		return;
	}
	if (name_is(c, "codecs.decode") || name_is(c, "codecs.encode")) {
		ev = pys_arg(f, 1, "encoding");
		codec = 0;
		if (ev != NULL && pys_is_const(ev)) {
			if (pys_streq(ev, "rot13") || pys_streq(ev, "rot_13") ||
			    pys_streq(ev, "rot-13"))
				codec = 13;
			else if (pys_streq(ev, "base64") ||
			    pys_streq(ev, "base_64") || pys_streq(ev, "base-64"))
				codec = 64;
			else if (pys_streq(ev, "hex") || pys_streq(ev, "hex_codec"))
				codec = 16;
			else if (pys_streq(ev, "zlib") ||
			    pys_streq(ev, "zip") || pys_streq(ev, "bz2"))
				codec = 1;
		}
		if (codec == 0)
			return;
		out->decoded = 1;
		out->fold |= codec == 13 ? FO_ROT13 :
		    codec == 64		 ? FO_BASE64 :
		    codec == 16		 ? FO_HEX :
					   FO_ZLIB;
		if (a0 == NULL || !pys_is_const(a0) || codec == 1)
			return;
		if (codec == 13) {
			pys_val_copy(out, a0);
			fold_rot13(out);
		} else {
			pys_val_none(&tmp);
			if (decode_base(sc, a0, &tmp, codec, 0) == -1)
				return;
			pys_val_copy(out, &tmp);
		}
		out->fold |= a0->fold |
		    (codec == 13	? FO_ROT13 :
			    codec == 64 ? FO_BASE64 :
					  FO_HEX);
		out->decoded = 1;
		out->at = c->at;
		return;
	}
	if (name_is(c, "builtins.getattr") && a0 != NULL &&
	    (a1 = pys_arg(f, 1, NULL)) != NULL && a1->kind == VK_STR &&
	    !a1->trunc) {
		if (a0->kind == VK_NS) {
			pys_name_value(sc, a1->s, a1->len, out);
		} else if (a0->kind == VK_REF) {
			char buf[PF_MAX_PY_FOLD * 2 + 2];

			(void)snprintf(buf, sizeof(buf), "%s.%s", a0->s, a1->s);
			pys_ref_set(sc, out, buf, strlen(buf),
			    a0->resolved && !a0->trunc);
		} else
			return;
		out->via = VIA_GETATTR;
		out->fold = a1->fold;
		out->at = c->at;
		return;
	}
	if ((name_is(c, "builtins.__import__") ||
		name_is(c, "importlib.import_module")) &&
	    a0 != NULL && a0->kind == VK_STR && !a0->trunc) {
		pys_ref_set(sc, out, a0->s, a0->len, 1);
		pys_normalize(sc, out);
		out->via = VIA_IMPORT;
		out->fold = a0->fold;
		out->at = c->at;
		return;
	}
	if ((name_is(c, "builtins.globals") || name_is(c, "builtins.locals") ||
		name_is(c, "builtins.vars")) &&
	    f->nargs == 0) {
		out->kind = VK_NS;
		return;
	}
	if (name_is(c, "builtins.vars") && a0 != NULL && a0->kind == VK_REF) {
		pys_val_copy(out, a0);
		out->dict = 1;
		out->at = c->at;
		return;
	}
	if (name_is(c, "pathlib.Path.home") ||
	    name_is(c, "os.path.expanduser") || name_is(c, "pathlib.Path") ||
	    name_is(c, "pathlib.PurePath") || name_is(c, "pathlib.PosixPath") ||
	    name_is(c, "os.path.expandvars") || name_is(c, "os.path.normpath") ||
	    name_is(c, "os.fspath") || name_is(c, "tempfile.gettempdir")) {
		if (name_is(c, "pathlib.Path.home")) {
			pys_val_none(out);
			out->kind = VK_STR;
			pys_val_append(sc, out, "~", 1);
		} else if (name_is(c, "tempfile.gettempdir")) {
			pys_val_none(out);
			out->kind = VK_STR;
			pys_val_append(sc, out, "/tmp", 4);
		} else if (a0 != NULL && pys_is_const(a0))
			pys_val_copy(out, a0);
		else
			return;
		out->kind = VK_STR;
		out->path = 1;
		out->at = c->at;
		return;
	}
	if (name_is(c, "os.path.join") || pys_streq(c, "<path>.joinpath")) {
		pys_val_none(out);
		out->at = c->at;
		out->kind = VK_STR;
		out->path = 1;
		if (c->s[0] == '<')
			pys_val_copy(out, &f->recv);
		for (i = 0; i < f->nargs; i++) {
			if (i >= NARGS || !pys_is_const(&f->args[i])) {
				out->kind = VK_UNKNOWN;
				return;
			}
			if (f->args[i].s[0] == '/')
				out->len = 0;
			else if (out->len > 0 && out->s[out->len - 1] != '/')
				pys_val_append(sc, out, "/", 1);
			pys_val_append(sc, out, f->args[i].s, f->args[i].len);
			out->fold |= f->args[i].fold;
		}
		out->kind = VK_STR;
		out->path = 1;
		out->at = c->at;
		return;
	}
	/* methods of constants */
	if (pys_streq(c, "<str>.join") && a0 != NULL) {
		if (a0->kind == VK_LIST && !a0->ints)
			list_join(sc, a0, f->recv.s, f->recv.len, out);
		else if (a0->kind == VK_STR && f->recv.len == 0)
			pys_val_copy(out, a0);
		else
			return;
		out->kind = VK_STR;
		out->fold |= a0->fold | FO_JOIN;
		out->decoded = a0->decoded;
		out->at = c->at;
		return;
	}
	if (pys_streq(c, "<bytes>.decode") || pys_streq(c, "<str>.encode") ||
	    pys_streq(c, "<str>.lower") || pys_streq(c, "<str>.upper") ||
	    pys_streq(c, "<str>.strip") || pys_streq(c, "<bytes>.lower") ||
	    pys_streq(c, "<str>.casefold")) {
		pys_val_copy(out, &f->recv);
		out->at = c->at;
		if (pys_streq(c, "<bytes>.decode"))
			out->kind = VK_STR;
		else if (pys_streq(c, "<str>.encode"))
			out->kind = VK_BYTES;
		else if (pys_streq(c, "<str>.strip")) {
			k = 0;
			while (k < out->len && isspace((unsigned char)out->s[k]))
				k++;
			memmove(out->s, out->s + k, out->len - k);
			out->len = (uint16_t)(out->len - k);
			while (out->len > 0 &&
			    isspace((unsigned char)out->s[out->len - 1]))
				out->len--;
			out->s[out->len] = '\0';
		} else {
			for (i = 0; i < out->len; i++)
				out->s[i] = (char)(pys_streq(c, "<str>.upper") ?
					toupper((unsigned char)out->s[i]) :
					tolower((unsigned char)out->s[i]));
			out->fold |= FO_CASE;
		}
		return;
	}
	if (pys_streq(c, "<str>.replace") && a0 != NULL && pys_is_const(a0) &&
	    a0->len > 0 && (a1 = pys_arg(f, 1, NULL)) != NULL && pys_is_const(a1)) {
		pys_val_none(&tmp);
		tmp.kind = VK_STR;
		for (i = 0; i < f->recv.len;) {
			if (f->recv.len - i >= a0->len &&
			    memcmp(f->recv.s + i, a0->s, a0->len) == 0) {
				pys_val_append(sc, &tmp, a1->s, a1->len);
				i += a0->len;
			} else
				pys_val_append(sc, &tmp, f->recv.s + i++, 1);
		}
		tmp.fold = f->recv.fold | a0->fold | a1->fold | FO_REPLACE;
		tmp.decoded = f->recv.decoded;
		tmp.at = c->at;
		tmp.path = f->recv.path;
		pys_val_copy(out, &tmp);
		return;
	}
	if (pys_streq(c, "<path>.expanduser") ||
	    pys_streq(c, "<path>.resolve") || pys_streq(c, "<path>.absolute")) {
		pys_val_copy(out, &f->recv);
		out->at = c->at;
		return;
	}
	if (pys_streq(c, "<?>.decode") || pys_streq(c, "<?>.encode")) {
		out->decoded |= f->recv.decoded;
		return;
	}
}
