/* A YAML writer over libyaml's emitter, shared by labctl config
 * (config.c) and labctl export compose (compose.c): block style, width
 * unlimited, indent 2, UTF-8; scalars quoted where a YAML 1.1 reader
 * (PyYAML, which docker-compose 1.29 reads with) or a 1.2 one would take
 * them for something other than a string. Nothing here prints. */
#ifndef LAB_EXPORT_EMIT_H
#define LAB_EXPORT_EMIT_H

#include <yaml.h>

#include "../util/buf.h"
#include "../util/err.h"

struct lab_emit {
	yaml_emitter_t e;
	struct lab_buf *out; /* the YAML text is appended here */
	int failed;          /* an event was refused: the rest are dropped */
};

/* Start a stream and its one document, written to out. */
void lab_emit_begin(struct lab_emit *m, struct lab_buf *out);
/* End the document and the stream, flush, free the emitter. Returns 0, or
 * LAB_ERR "writing YAML failed: <libyaml's problem>". */
int lab_emit_end(struct lab_emit *m, struct lab_err *err);

/* Send one event (taken over: deleted when the emitter refused an
 * earlier one). */
void lab_emit_event(struct lab_emit *m, yaml_event_t *ev);
/* Would a YAML reader take the plain scalar s for a number (also
 * sexagesimal like 80:80, or .inf), a boolean, null or a merge key? */
int lab_emit_needs_quotes(const char *s);
/* A scalar of len bytes in style. */
void lab_emit_scalar(struct lab_emit *m, const char *s, size_t len, yaml_scalar_style_t style);
/* A key or a value known to be a plain word (names, numbers meant as numbers). */
void lab_emit_plain(struct lab_emit *m, const char *s);
/* A string value: a literal block when it has several lines, quoted when
 * lab_emit_needs_quotes, else plain. */
void lab_emit_string(struct lab_emit *m, const char *s, size_t len);
/* Mappings and sequences; flow: on one line ({a: b}, [a, b]). */
void lab_emit_map_start(struct lab_emit *m, int flow);
void lab_emit_map_end(struct lab_emit *m);
void lab_emit_seq_start(struct lab_emit *m, int flow);
void lab_emit_seq_end(struct lab_emit *m);

#endif
