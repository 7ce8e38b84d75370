/* Decoders for the engine's multiplexed frames and JSON-lines progress. */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define JSONL_LINE_MAX (1u << 20)

/* ---- multiplexed frames ---- */

void lab_frames_init(struct lab_frames *f)
{
	memset(f, 0, sizeof(*f));
}

int lab_frames_feed(struct lab_frames *f, const char *data, size_t len, lab_output_fn out,
		    void *ud, struct lab_err *err)
{
	while (len > 0) {
		if (f->hdr_len < sizeof(f->hdr)) {
			size_t take = sizeof(f->hdr) - f->hdr_len;
			if (take > len)
				take = len;
			memcpy(f->hdr + f->hdr_len, data, take);
			f->hdr_len += take;
			data += take;
			len -= take;
			if (f->hdr_len < sizeof(f->hdr))
				break;
			int type = f->hdr[0];
			uint32_t size = (uint32_t)f->hdr[4] << 24 | (uint32_t)f->hdr[5] << 16 |
					(uint32_t)f->hdr[6] << 8 | (uint32_t)f->hdr[7];
			if (type > 2)
				return lab_err_set(err, LAB_ERR,
						   "malformed stream frame: unknown stream type %d", type);
			if (size > LAB_FRAME_MAX)
				return lab_err_set(err, LAB_ERR,
						   "malformed stream frame: payload of %lu bytes is over the %lu-byte limit",
						   (unsigned long)size, (unsigned long)LAB_FRAME_MAX);
			/* stdin frames (0) only appear when stdout is a TTY; treat as stdout. */
			f->stream = type == 0 ? 1 : type;
			f->remaining = size;
			if (size == 0)
				f->hdr_len = 0; /* empty frame: next header */
			continue;
		}
		size_t take = f->remaining < len ? f->remaining : len;
		f->remaining -= (uint32_t)take;
		if (f->remaining == 0)
			f->hdr_len = 0;
		const char *piece = data;
		data += take;
		len -= take;
		if (out && out(f->stream, piece, take, ud) != 0)
			return 1;
	}
	return 0;
}

int lab_frames_complete(const struct lab_frames *f)
{
	return f->hdr_len == 0;
}

/* ---- output lines ---- */

void lab_lines_init(struct lab_lines *l, size_t max)
{
	l->max = max ? max : LAB_LINE_MAX;
	l->buf = lab_xmalloc(l->max + 1);
	l->len = 0;
	l->cont = 0;
}

void lab_lines_release(struct lab_lines *l)
{
	if (!l)
		return;
	free(l->buf);
	l->buf = NULL;
	l->len = 0;
	l->cont = 0;
}

/* Pass on what buf holds; next_cont: whether what follows continues it. */
static int lines_flush(struct lab_lines *l, int next_cont, lab_line_fn fn, void *ud)
{
	l->buf[l->len] = '\0';
	int stop = fn && fn(l->buf, l->len, l->cont, ud) != 0;
	l->len = 0;
	l->cont = next_cont;
	return stop ? 1 : 0;
}

int lab_lines_feed(struct lab_lines *l, const char *data, size_t len, lab_line_fn fn, void *ud)
{
	const char *end = data + len;
	while (data < end) {
		const char *nl = memchr(data, '\n', (size_t)(end - data));
		const char *stop = nl ? nl : end;
		for (const char *p = data; p < stop; p++) {
			if (*p == '\r')
				continue;
			/* full and more to come: pass on a piece (lazily, so a line of
			   exactly max bytes stays whole) */
			if (l->len == l->max && lines_flush(l, 1, fn, ud))
				return 1;
			l->buf[l->len++] = *p;
		}
		data = stop;
		if (nl) {
			data++;
			if (lines_flush(l, 0, fn, ud))
				return 1;
		}
	}
	return 0;
}

int lab_lines_finish(struct lab_lines *l, lab_line_fn fn, void *ud)
{
	if (l->len == 0)
		return 0;
	return lines_flush(l, 0, fn, ud);
}

/* ---- JSON lines ---- */

void lab_jsonl_init(struct lab_jsonl *j)
{
	lab_buf_init(&j->line, JSONL_LINE_MAX);
	lab_buf_init(&j->last, 0);
	j->error = NULL;
	j->image_id = NULL;
}

void lab_jsonl_release(struct lab_jsonl *j)
{
	if (!j)
		return;
	lab_buf_release(&j->line);
	lab_buf_release(&j->last);
	free(j->error);
	free(j->image_id);
	j->error = NULL;
	j->image_id = NULL;
}

/* Docker's units.HumanSize: decimal units, 4 significant digits. */
static void jsonl_human(struct lab_buf *b, double n)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	size_t u = 0;
	while (n >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		n /= 1000.0;
		u++;
	}
	lab_buf_printf(b, "%.4g%s", n, units[u]);
}

/* Copy n bytes of s without ANSI CSI sequences (the daemon colours a
 * RUN step's stderr with ESC[91m ... ESC[0m). */
static char *jsonl_strip_ansi(const char *s, size_t n)
{
	char *out = lab_xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\x1b' && i + 1 < n && s[i + 1] == '[') {
			i += 2;
			while (i < n && !(s[i] >= '@' && s[i] <= '~'))
				i++;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* Pass each non-empty line of a "stream" text to progress. */
static void jsonl_stream_text(const char *s, lab_progress_fn progress, void *ud)
{
	while (*s) {
		size_t n = strcspn(s, "\n");
		char *line = jsonl_strip_ansi(s, n);
		size_t m = strlen(line);
		while (m > 0 && line[m - 1] == '\r')
			line[--m] = '\0';
		if (m > 0 && progress)
			progress(line, 1, ud);
		free(line);
		s += n;
		if (*s == '\n')
			s++;
	}
}

static int jsonl_line(struct lab_jsonl *j, const char *line, size_t len, lab_progress_fn progress,
		      void *ud, struct lab_err *err)
{
	int rc = 0;
	cJSON *doc = NULL;
	struct lab_buf text = LAB_BUF_INIT;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (len == 0)
		goto out;
	doc = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(doc)) {
		rc = lab_err_set(err, LAB_ERR, "engine sent a line that is not a JSON object: '%.*s%s'",
				 (int)(len > 120 ? 120 : len), line, len > 120 ? "..." : "");
		goto out;
	}

	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(doc, "errorDetail");
	const cJSON *emsg = cJSON_GetObjectItemCaseSensitive(detail, "message");
	if (!cJSON_IsString(emsg) || !emsg->valuestring[0])
		emsg = cJSON_GetObjectItemCaseSensitive(doc, "error");
	if (cJSON_IsString(emsg) || detail) {
		const char *m = cJSON_IsString(emsg) && emsg->valuestring[0] ? emsg->valuestring
									   : "unknown error";
		size_t ml = strlen(m);
		while (ml > 0 && (m[ml - 1] == '\n' || m[ml - 1] == '\r'))
			ml--;
		char *msg = lab_xstrndup(m, ml);
		if (progress)
			progress(msg, 1, ud);
		if (!j->error)
			j->error = msg;
		else
			free(msg);
		goto out;
	}

	const cJSON *aux = cJSON_GetObjectItemCaseSensitive(doc, "aux");
	const cJSON *aux_id = cJSON_GetObjectItemCaseSensitive(aux, "ID");
	if (cJSON_IsString(aux_id)) {
		free(j->image_id);
		j->image_id = lab_xstrdup(aux_id->valuestring);
	}

	const cJSON *stream = cJSON_GetObjectItemCaseSensitive(doc, "stream");
	if (cJSON_IsString(stream))
		jsonl_stream_text(stream->valuestring, progress, ud);

	const cJSON *status = cJSON_GetObjectItemCaseSensitive(doc, "status");
	if (cJSON_IsString(status)) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
		const cJSON *pd = cJSON_GetObjectItemCaseSensitive(doc, "progressDetail");
		const cJSON *cur = cJSON_GetObjectItemCaseSensitive(pd, "current");
		const cJSON *tot = cJSON_GetObjectItemCaseSensitive(pd, "total");
		const cJSON *prog = cJSON_GetObjectItemCaseSensitive(doc, "progress");
		int final = !(cJSON_IsNumber(tot) && tot->valuedouble > 0);

		if (cJSON_IsString(id) && id->valuestring[0])
			lab_buf_printf(&text, "%s: ", id->valuestring);
		lab_buf_puts(&text, status->valuestring);
		if (cJSON_IsNumber(cur) && cur->valuedouble > 0) {
			lab_buf_puts(&text, " ");
			jsonl_human(&text, cur->valuedouble);
			if (!final) {
				lab_buf_puts(&text, "/");
				jsonl_human(&text, tot->valuedouble);
			}
		} else if (cJSON_IsString(prog) && prog->valuestring[0]) {
			lab_buf_printf(&text, " %s", prog->valuestring);
		}
		if (strcmp(lab_buf_cstr(&text), lab_buf_cstr(&j->last)) != 0) {
			lab_buf_reset(&j->last);
			lab_buf_append(&j->last, text.data, text.len);
			if (progress)
				progress(lab_buf_cstr(&text), final, ud);
		}
	}
out:
	cJSON_Delete(doc);
	lab_buf_release(&text);
	return rc;
}

int lab_jsonl_feed(struct lab_jsonl *j, const char *data, size_t len, lab_progress_fn progress,
		   void *ud, struct lab_err *err)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t piece = nl ? (size_t)(nl - data) : len;
		if (j->line.len == 0 && nl) {
			/* whole line in this chunk: no copy */
			int rc = jsonl_line(j, data, piece, progress, ud, err);
			if (rc)
				return rc;
		} else {
			if (lab_buf_append(&j->line, data, piece) < 0)
				return lab_err_set(err, LAB_ERR, "engine sent a line longer than %u bytes",
						   JSONL_LINE_MAX);
			if (nl) {
				int rc = jsonl_line(j, j->line.data, j->line.len, progress, ud, err);
				lab_buf_reset(&j->line);
				if (rc)
					return rc;
			}
		}
		data += piece + (nl ? 1 : 0);
		len -= piece + (nl ? 1 : 0);
	}
	return 0;
}

int lab_jsonl_finish(struct lab_jsonl *j, lab_progress_fn progress, void *ud, struct lab_err *err)
{
	if (j->line.len == 0)
		return 0;
	int rc = jsonl_line(j, j->line.data, j->line.len, progress, ud, err);
	lab_buf_reset(&j->line);
	return rc;
}
