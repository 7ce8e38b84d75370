/* Decoders for the Docker Engine's streamed responses. Pure functions of
 * their input, so they are unit-tested without a daemon.
 *
 * Multiplexed frames (Engine API "Attach to a container", stream format):
 * non-TTY logs and exec output arrive as frames of an 8-byte header
 * {stream type (0 stdin, 1 stdout, 2 stderr), 0, 0, 0, big-endian uint32
 * payload size} followed by the payload. Chunks may split headers and
 * payloads anywhere; the decoder keeps state across feeds.
 *
 * JSON lines (/build, /images/create): one JSON object per line, e.g.
 * {"stream":"Step 1/3 : FROM x\n"}, {"status":"Downloading","id":"abc",
 * "progressDetail":{"current":1,"total":2}}, {"aux":{"ID":"sha256:..."}},
 * and on failure, still inside a 200 response, {"errorDetail":{"message":
 * "..."},"error":"..."}.
 */
#ifndef LAB_STREAM_H
#define LAB_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"
#include "../util/err.h"
#include "engine.h"

/* Largest frame payload accepted (bytes); a bigger header is a protocol error. */
#define LAB_FRAME_MAX (16u << 20)

struct lab_frames {
	unsigned char hdr[8];
	size_t hdr_len;      /* header bytes collected so far */
	int stream;          /* current frame's stream type */
	uint32_t remaining;  /* payload bytes still to come for the current frame */
};

void lab_frames_init(struct lab_frames *f);
/* Feed len bytes; calls out(stream, payload piece, piece len, ud) for each
 * payload piece (a frame split across feeds is delivered in pieces).
 * Returns 0; LAB_ERR with "malformed stream frame ..." for an unknown stream
 * type (> 2) or a payload over LAB_FRAME_MAX; if out returns non-zero,
 * returns 1 (stopped by caller) without setting err. */
int lab_frames_feed(struct lab_frames *f, const char *data, size_t len, lab_output_fn out,
		    void *ud, struct lab_err *err);
/* 1 when the stream ended between frames, 0 when it ended mid-frame. */
int lab_frames_complete(const struct lab_frames *f);

/* Lines of a container's output, through a fixed buffer: a line is
 * passed on whole when it fits in max bytes, else in pieces of max bytes,
 * each after the first marked as continuing the one before. Memory is
 * max + 1 bytes whatever the output (no line is ever held whole). */
#define LAB_LINE_MAX (64u << 10)

struct lab_lines {
	char *buf;   /* max + 1 bytes: the line's piece not yet passed on, NUL-terminated when passed */
	size_t len;  /* bytes in buf */
	size_t max;  /* longest piece passed on, bytes */
	int cont;    /* buf continues a piece already passed on */
};

/* One piece of a line: text (NUL-terminated, len bytes, without the '\n'
 * and with every '\r' dropped). cont is 0 for the start of a line and 1
 * for a piece that continues the previous piece of the same line (cut
 * because the line is longer than max). Return non-zero to stop. */
typedef int (*lab_line_fn)(const char *text, size_t len, int cont, void *ud);

/* max: bytes per piece, 0 = LAB_LINE_MAX. */
void lab_lines_init(struct lab_lines *l, size_t max);
/* Frees the buffer; accepts NULL. */
void lab_lines_release(struct lab_lines *l);
/* Feed len bytes of output; calls fn for each line ended by '\n' in them
 * and for each full piece of a line longer than max. A line of exactly
 * max bytes is passed on whole. Returns 0, or 1 when fn returned non-zero
 * (the rest of data is dropped). */
int lab_lines_feed(struct lab_lines *l, const char *data, size_t len, lab_line_fn fn, void *ud);
/* At end of output: passes on a last line that had no '\n' (if any).
 * Returns 0, or 1 when fn returned non-zero. */
int lab_lines_finish(struct lab_lines *l, lab_line_fn fn, void *ud);

struct lab_jsonl {
	struct lab_buf line;   /* partial line carried across feeds (capped at 1 MiB) */
	char *error;           /* first error message seen (errorDetail.message or error), or NULL */
	char *image_id;        /* aux.ID when seen (build), or NULL */
	struct lab_buf last;   /* last status line, for repeated-status suppression */
};

void lab_jsonl_init(struct lab_jsonl *j);
void lab_jsonl_release(struct lab_jsonl *j);
/* Feed len bytes of a /build or /images/create response. Each complete
 * line is parsed; a human-readable progress line is passed to progress
 * (may be NULL) as described for lab_progress_fn: "stream" text is printed
 * trimmed of its trailing newline (final=1, empty lines skipped); "status"
 * lines render as "<id>: <status> <progress>" (final=1 unless
 * progressDetail has a total, i.e. download/extract progress); an error line
 * sets j->error (first one kept) and is passed with final=1.
 * Returns 0, or LAB_ERR when a line is not JSON or exceeds the cap. */
int lab_jsonl_feed(struct lab_jsonl *j, const char *data, size_t len, lab_progress_fn progress,
		   void *ud, struct lab_err *err);
/* Call at end of stream: parses a last line without newline. Same returns. */
int lab_jsonl_finish(struct lab_jsonl *j, lab_progress_fn progress, void *ud, struct lab_err *err);

#endif
