/* The YAML writer of labctl config and export compose (emit.h). */
#include "emit.h"

#include <string.h>
#include <strings.h>

static int write_cb(void *data, unsigned char *buf, size_t size)
{
	struct lab_emit *m = data;
	lab_buf_append(m->out, buf, size);
	return 1;
}

void lab_emit_event(struct lab_emit *m, yaml_event_t *ev)
{
	if (m->failed) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&m->e, ev))
		m->failed = 1;
}

void lab_emit_begin(struct lab_emit *m, struct lab_buf *out)
{
	memset(m, 0, sizeof(*m));
	m->out = out;
	yaml_emitter_initialize(&m->e);
	yaml_emitter_set_output(&m->e, write_cb, m);
	yaml_emitter_set_unicode(&m->e, 1);
	yaml_emitter_set_width(&m->e, -1);
	yaml_emitter_set_indent(&m->e, 2);
	yaml_event_t ev;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	lab_emit_event(m, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	lab_emit_event(m, &ev);
}

int lab_emit_end(struct lab_emit *m, struct lab_err *err)
{
	yaml_event_t ev;
	yaml_document_end_event_initialize(&ev, 1);
	lab_emit_event(m, &ev);
	yaml_stream_end_event_initialize(&ev);
	lab_emit_event(m, &ev);
	int rc = 0;
	if (m->failed)
		rc = lab_err_set(err, LAB_ERR, "writing YAML failed: %s",
				 m->e.problem ? m->e.problem : "libyaml emitter error");
	else if (!yaml_emitter_flush(&m->e))
		rc = lab_err_set(err, LAB_ERR, "writing YAML failed: %s", m->e.problem ? m->e.problem : "flush");
	yaml_emitter_delete(&m->e);
	return rc;
}

int lab_emit_needs_quotes(const char *s)
{
	static const char *const words[] = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
					    "=", "<<", ".inf", "-.inf", "+.inf", ".nan", NULL};
	if (!*s)
		return 1;
	for (int i = 0; words[i]; i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	if (!strchr("0123456789+-.", *s))
		return 0;
	/* number-like: only digits, signs, separators and radix/exponent letters */
	return strspn(s, "0123456789+-._:xXoObBeEaAcCdDfF") == strlen(s);
}

void lab_emit_scalar(struct lab_emit *m, const char *s, size_t len, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style);
	lab_emit_event(m, &ev);
}

void lab_emit_plain(struct lab_emit *m, const char *s)
{
	lab_emit_scalar(m, s, strlen(s), YAML_PLAIN_SCALAR_STYLE);
}

void lab_emit_string(struct lab_emit *m, const char *s, size_t len)
{
	lab_emit_scalar(m, s, len,
			memchr(s, '\n', len)	  ? YAML_LITERAL_SCALAR_STYLE
			: lab_emit_needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
						   : YAML_ANY_SCALAR_STYLE);
}

void lab_emit_map_start(struct lab_emit *m, int flow)
{
	yaml_event_t ev;
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
	lab_emit_event(m, &ev);
}

void lab_emit_map_end(struct lab_emit *m)
{
	yaml_event_t ev;
	yaml_mapping_end_event_initialize(&ev);
	lab_emit_event(m, &ev);
}

void lab_emit_seq_start(struct lab_emit *m, int flow)
{
	yaml_event_t ev;
	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
					     flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	lab_emit_event(m, &ev);
}

void lab_emit_seq_end(struct lab_emit *m)
{
	yaml_event_t ev;
	yaml_sequence_end_event_initialize(&ev);
	lab_emit_event(m, &ev);
}
