/* Decoders of the engine's streamed responses (labctl/engine/stream.c):
 * multiplexed frames and JSON lines, as tables of input -> expected. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "../../labctl/engine/stream.h"

/* ---- frames ---- */

/* Collected output: "1:abc|2:def|" per callback piece, pieces of the same
 * stream merged so the result is independent of how input was split. */
struct sfr_out {
	struct lab_buf text;
	int last_stream;
	int calls;
	int stop_after; /* return 1 after this many calls (0 = never) */
};

static int sfr_collect(int stream, const char *data, size_t len, void *ud)
{
	struct sfr_out *o = ud;
	if (stream != o->last_stream) {
		if (o->last_stream)
			lab_buf_puts(&o->text, "|");
		lab_buf_printf(&o->text, "%d:", stream);
		o->last_stream = stream;
	}
	lab_buf_append(&o->text, data, len);
	o->calls++;
	return o->stop_after && o->calls >= o->stop_after;
}

/* Append a frame header + payload to b. */
static void sfr_frame(struct lab_buf *b, int type, const char *payload, size_t len)
{
	unsigned char h[8] = {(unsigned char)type, 0, 0, 0, (unsigned char)(len >> 24),
			      (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len};
	lab_buf_append(b, h, 8);
	lab_buf_append(b, payload, len);
}

struct sfr_case {
	const char *name;
	struct {
		int type;
		const char *payload;
	} frames[4];
	const char *expect;
	int complete;
};

static const struct sfr_case sfr_cases[] = {
	{"single stdout frame", {{1, "hello\n"}}, "1:hello\n", 1},
	{"stdout and stderr interleaved", {{1, "out1\n"}, {2, "err1\n"}, {1, "out2\n"}},
	 "1:out1\n|2:err1\n|1:out2\n", 1},
	{"zero-length frame between frames", {{1, "a"}, {2, ""}, {1, "b"}}, "1:ab", 1},
	{"stdin type reported as stdout", {{0, "x"}}, "1:x", 1},
	{"only an empty frame", {{2, ""}}, "", 1},
};

static void sfr_build(const struct sfr_case *c, struct lab_buf *b)
{
	for (size_t i = 0; i < 4 && c->frames[i].payload; i++)
		sfr_frame(b, c->frames[i].type, c->frames[i].payload, strlen(c->frames[i].payload));
}

Test(stream_frames, whole_input_table)
{
	for (size_t i = 0; i < sizeof(sfr_cases) / sizeof(sfr_cases[0]); i++) {
		const struct sfr_case *c = &sfr_cases[i];
		struct lab_buf in = LAB_BUF_INIT;
		struct sfr_out o = {LAB_BUF_INIT, 0, 0, 0};
		struct lab_frames f;
		struct lab_err err = {0};
		sfr_build(c, &in);
		lab_frames_init(&f);
		int rc = lab_frames_feed(&f, in.data, in.len, sfr_collect, &o, &err);
		cr_expect_eq(rc, 0, "%s: rc %d (%s)", c->name, rc, err.msg);
		cr_expect_str_eq(lab_buf_cstr(&o.text), c->expect, "%s", c->name);
		cr_expect_eq(lab_frames_complete(&f), c->complete, "%s", c->name);
		lab_buf_release(&in);
		lab_buf_release(&o.text);
	}
}

/* Every case, split into two feeds at every byte offset (headers and payloads
 * split anywhere), and fed one byte at a time. */
Test(stream_frames, split_at_every_offset)
{
	for (size_t i = 0; i < sizeof(sfr_cases) / sizeof(sfr_cases[0]); i++) {
		const struct sfr_case *c = &sfr_cases[i];
		struct lab_buf in = LAB_BUF_INIT;
		sfr_build(c, &in);
		for (size_t cut = 0; cut <= in.len; cut++) {
			struct sfr_out o = {LAB_BUF_INIT, 0, 0, 0};
			struct lab_frames f;
			struct lab_err err = {0};
			lab_frames_init(&f);
			int rc = lab_frames_feed(&f, in.data, cut, sfr_collect, &o, &err);
			cr_expect_eq(rc, 0, "%s cut %zu", c->name, cut);
			rc = lab_frames_feed(&f, in.data + cut, in.len - cut, sfr_collect, &o, &err);
			cr_expect_eq(rc, 0, "%s cut %zu", c->name, cut);
			cr_expect_str_eq(lab_buf_cstr(&o.text), c->expect, "%s cut %zu", c->name, cut);
			cr_expect(lab_frames_complete(&f), "%s cut %zu", c->name, cut);
			lab_buf_release(&o.text);
		}
		struct sfr_out o = {LAB_BUF_INIT, 0, 0, 0};
		struct lab_frames f;
		lab_frames_init(&f);
		for (size_t k = 0; k < in.len; k++)
			cr_expect_eq(lab_frames_feed(&f, in.data + k, 1, sfr_collect, &o, NULL), 0);
		cr_expect_str_eq(lab_buf_cstr(&o.text), c->expect, "%s bytewise", c->name);
		lab_buf_release(&o.text);
		lab_buf_release(&in);
	}
}

Test(stream_frames, incomplete_at_end)
{
	struct lab_buf in = LAB_BUF_INIT;
	struct sfr_out o = {LAB_BUF_INIT, 0, 0, 0};
	struct lab_frames f;
	sfr_frame(&in, 1, "hello", 5);
	lab_frames_init(&f);
	/* header only partly there */
	cr_assert_eq(lab_frames_feed(&f, in.data, 3, sfr_collect, &o, NULL), 0);
	cr_expect_not(lab_frames_complete(&f));
	/* payload partly there: piece delivered already */
	cr_assert_eq(lab_frames_feed(&f, in.data + 3, 7, sfr_collect, &o, NULL), 0);
	cr_expect_not(lab_frames_complete(&f));
	cr_expect_str_eq(lab_buf_cstr(&o.text), "1:he");
	lab_buf_release(&in);
	lab_buf_release(&o.text);
}

struct sfr_bad {
	const char *name;
	unsigned char hdr[8];
	const char *msg_part;
};

Test(stream_frames, malformed_table)
{
	static const struct sfr_bad bad[] = {
		{"stream type 3", {3, 0, 0, 0, 0, 0, 0, 1}, "unknown stream type 3"},
		{"stream type 0xff", {0xff, 0, 0, 0, 0, 0, 0, 0}, "unknown stream type 255"},
		{"payload over the limit", {1, 0, 0, 0, 0x01, 0x00, 0x00, 0x01}, "limit"},
		{"payload 4 GiB", {2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, "limit"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lab_frames f;
		struct lab_err err = {0};
		struct sfr_out o = {LAB_BUF_INIT, 0, 0, 0};
		lab_frames_init(&f);
		int rc = lab_frames_feed(&f, (const char *)bad[i].hdr, 8, sfr_collect, &o, &err);
		cr_expect_eq(rc, LAB_ERR, "%s", bad[i].name);
		cr_expect_eq(err.code, LAB_ERR, "%s", bad[i].name);
		cr_expect(strstr(err.msg, "malformed stream frame") != NULL, "%s: %s", bad[i].name, err.msg);
		cr_expect(strstr(err.msg, bad[i].msg_part) != NULL, "%s: %s", bad[i].name, err.msg);
		cr_expect_eq(o.calls, 0, "%s", bad[i].name);
		lab_buf_release(&o.text);
	}
}

Test(stream_frames, exactly_at_limit_is_accepted)
{
	unsigned char h[8] = {1, 0, 0, 0, 0x01, 0x00, 0x00, 0x00}; /* 16 MiB */
	struct lab_frames f;
	struct lab_err err = {0};
	lab_frames_init(&f);
	cr_expect_eq(lab_frames_feed(&f, (const char *)h, 8, NULL, NULL, &err), 0, "%s", err.msg);
	cr_expect_eq(f.remaining, LAB_FRAME_MAX);
}

Test(stream_frames, callback_stop)
{
	struct lab_buf in = LAB_BUF_INIT;
	struct sfr_out o = {LAB_BUF_INIT, 0, 0, 1};
	struct lab_frames f;
	struct lab_err err = {0};
	sfr_frame(&in, 1, "one", 3);
	sfr_frame(&in, 2, "two", 3);
	lab_frames_init(&f);
	cr_expect_eq(lab_frames_feed(&f, in.data, in.len, sfr_collect, &o, &err), 1);
	cr_expect_eq(err.code, 0, "stop must not set err");
	cr_expect_eq(o.calls, 1);
	cr_expect_str_eq(lab_buf_cstr(&o.text), "1:one");
	lab_buf_release(&in);
	lab_buf_release(&o.text);
}

/* ---- JSON lines ---- */

struct sjl_out {
	struct lab_buf text; /* "F line\n" per call, F = final flag */
};

static void sjl_collect(const char *line, int final, void *ud)
{
	struct sjl_out *o = ud;
	lab_buf_printf(&o->text, "%d %s\n", final, line);
}

struct sjl_case {
	const char *name;
	const char *input;
	const char *expect;   /* progress calls */
	const char *error;    /* j.error, NULL = none */
	const char *image_id; /* j.image_id, NULL = none */
	int rc;               /* feed + finish */
};

static const struct sjl_case sjl_cases[] = {
	{"stream lines",
	 "{\"stream\":\"Step 1/2 : FROM debian:bookworm-slim\\n\"}\n"
	 "{\"stream\":\" ---> c3a5f19b3d7f\\n\"}\n{\"stream\":\"\\n\"}\n",
	 "1 Step 1/2 : FROM debian:bookworm-slim\n1  ---> c3a5f19b3d7f\n", NULL, NULL, 0},
	{"stream text with several lines and colours",
	 "{\"stream\":\"\\u001b[91ma\\nb\\n\\u001b[0m\"}\r\n", "1 a\n1 b\n", NULL, NULL, 0},
	{"status without progress",
	 "{\"status\":\"Pulling from library/debian\",\"id\":\"bookworm\"}\n"
	 "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"abc123\"}\n",
	 "1 bookworm: Pulling from library/debian\n1 abc123: Pull complete\n", NULL, NULL, 0},
	{"status with progress",
	 "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":12345678,\"total\":40000000},"
	 "\"progress\":\"[==>  ]\",\"id\":\"abc123\"}\n",
	 "0 abc123: Downloading 12.35MB/40MB\n", NULL, NULL, 0},
	{"status with no id",
	 "{\"status\":\"Digest: sha256:0123\"}\n{\"status\":\"Status: Downloaded newer image\"}\n",
	 "1 Digest: sha256:0123\n1 Status: Downloaded newer image\n", NULL, NULL, 0},
	{"repeated status suppressed",
	 "{\"status\":\"Waiting\",\"id\":\"a\"}\n{\"status\":\"Waiting\",\"id\":\"a\"}\n"
	 "{\"status\":\"Waiting\",\"id\":\"b\"}\n",
	 "1 a: Waiting\n1 b: Waiting\n", NULL, NULL, 0},
	{"aux ID captured",
	 "{\"aux\":{\"ID\":\"sha256:abcdef\"}}\n{\"stream\":\"Successfully built abcdef\\n\"}\n",
	 "1 Successfully built abcdef\n", NULL, "sha256:abcdef", 0},
	{"errorDetail inside the stream",
	 "{\"stream\":\"Step 2/2 : RUN false\\n\"}\n"
	 "{\"errorDetail\":{\"code\":1,\"message\":\"The command '/bin/sh -c false' returned a non-zero code: 1\"},"
	 "\"error\":\"The command '/bin/sh -c false' returned a non-zero code: 1\"}\n"
	 "{\"error\":\"second error\"}\n",
	 "1 Step 2/2 : RUN false\n1 The command '/bin/sh -c false' returned a non-zero code: 1\n1 second error\n",
	 "The command '/bin/sh -c false' returned a non-zero code: 1", NULL, 0},
	{"error field only", "{\"error\":\"manifest unknown\"}\n", "1 manifest unknown\n",
	 "manifest unknown", NULL, 0},
	{"last line without newline", "{\"stream\":\"a\"}\n{\"stream\":\"b\"}", "1 a\n1 b\n", NULL, NULL, 0},
	{"blank lines ignored", "\n\r\n  \n{\"stream\":\"a\\n\"}\n\n", "1 a\n", NULL, NULL, 0},
	{"unknown objects ignored", "{\"id\":\"x\"}\n{\"stream\":\"a\\n\"}\n", "1 a\n", NULL, NULL, 0},
	{"invalid JSON", "{\"stream\":\"a\\n\"}\nnot json\n", "1 a\n", NULL, NULL, LAB_ERR},
	{"JSON that is not an object", "[1,2]\n", "", NULL, NULL, LAB_ERR},
	{"truncated last line", "{\"stream\":\"a\\n\"}\n{\"stream\":", "1 a\n", NULL, NULL, LAB_ERR},
};

static int sjl_run(const struct sjl_case *c, size_t cut, struct sjl_out *o, struct lab_jsonl *j,
		   struct lab_err *err)
{
	size_t len = strlen(c->input);
	if (cut > len)
		cut = len;
	int rc = lab_jsonl_feed(j, c->input, cut, sjl_collect, o, err);
	if (rc == 0)
		rc = lab_jsonl_feed(j, c->input + cut, len - cut, sjl_collect, o, err);
	if (rc == 0)
		rc = lab_jsonl_finish(j, sjl_collect, o, err);
	return rc;
}

Test(stream_jsonl, table_split_at_every_offset)
{
	for (size_t i = 0; i < sizeof(sjl_cases) / sizeof(sjl_cases[0]); i++) {
		const struct sjl_case *c = &sjl_cases[i];
		for (size_t cut = 0; cut <= strlen(c->input); cut++) {
			struct sjl_out o = {LAB_BUF_INIT};
			struct lab_jsonl j;
			struct lab_err err = {0};
			lab_jsonl_init(&j);
			int rc = sjl_run(c, cut, &o, &j, &err);
			cr_expect_eq(rc, c->rc, "%s (cut %zu): rc %d %s", c->name, cut, rc, err.msg);
			if (c->rc)
				cr_expect(err.msg[0] != '\0', "%s: error message", c->name);
			cr_expect_str_eq(lab_buf_cstr(&o.text), c->expect, "%s (cut %zu)", c->name, cut);
			if (c->error)
				cr_expect(j.error && strcmp(j.error, c->error) == 0, "%s: error '%s'", c->name,
					  j.error ? j.error : "(null)");
			else
				cr_expect_null(j.error, "%s", c->name);
			if (c->image_id)
				cr_expect(j.image_id && strcmp(j.image_id, c->image_id) == 0, "%s", c->name);
			else
				cr_expect_null(j.image_id, "%s", c->name);
			lab_jsonl_release(&j);
			lab_buf_release(&o.text);
		}
	}
}

Test(stream_jsonl, null_progress_still_tracks_error)
{
	struct lab_jsonl j;
	lab_jsonl_init(&j);
	const char *in = "{\"stream\":\"x\\n\"}\n{\"errorDetail\":{\"message\":\"boom\"}}\n";
	cr_expect_eq(lab_jsonl_feed(&j, in, strlen(in), NULL, NULL, NULL), 0);
	cr_expect_eq(lab_jsonl_finish(&j, NULL, NULL, NULL), 0);
	cr_expect_str_eq(j.error, "boom");
	lab_jsonl_release(&j);
	lab_jsonl_release(NULL);
}

Test(stream_jsonl, line_over_cap)
{
	struct lab_jsonl j;
	struct lab_err err = {0};
	lab_jsonl_init(&j);
	size_t n = (1u << 20) + 10;
	char *big = malloc(n);
	memset(big, 'a', n);
	int rc = 0;
	for (size_t off = 0; off < n && rc == 0; off += 4096)
		rc = lab_jsonl_feed(&j, big + off, n - off < 4096 ? n - off : 4096, NULL, NULL, &err);
	cr_expect_eq(rc, LAB_ERR);
	cr_expect(strstr(err.msg, "longer than") != NULL, "%s", err.msg);
	free(big);
	lab_jsonl_release(&j);
}

/* ---- output lines through a fixed buffer ---- */

/* Collected pieces: "[text]" for the start of a line, "+[text]" for a
 * piece that continues it, in order. */
struct sln_out {
	struct lab_buf text;
	int calls;
	int stop_after; /* return 1 after this many calls (0 = never) */
};

static int sln_collect(const char *text, size_t len, int cont, void *ud)
{
	struct sln_out *o = ud;
	cr_assert_eq(text[len], '\0', "a piece is NUL-terminated");
	cr_assert_null(memchr(text, '\n', len), "a piece holds no newline");
	lab_buf_printf(&o->text, "%s[%.*s]", cont ? "+" : "", (int)len, text);
	o->calls++;
	return o->stop_after && o->calls >= o->stop_after;
}

struct sln_case {
	const char *name;
	size_t max;          /* bytes per piece */
	const char *input;
	const char *expect;  /* after lab_lines_finish */
};

static const struct sln_case sln_cases[] = {
	{"one line", 16, "hello\n", "[hello]"},
	{"two lines", 16, "a\nb\n", "[a][b]"},
	{"empty lines kept", 16, "\n\nx\n", "[][][x]"},
	{"last line without newline comes at the end", 16, "a\nbc", "[a][bc]"},
	{"carriage returns dropped", 16, "a\r\nb\rc\r\n", "[a][bc]"},
	{"line of exactly max bytes stays whole", 4, "abcd\nef\n", "[abcd][ef]"},
	{"line one byte over max is cut", 4, "abcde\n", "[abcd]+[e]"},
	{"line of many times max", 3, "abcdefghij\nk\n", "[abc]+[def]+[ghi]+[j][k]"},
	{"exact multiple of max then newline", 2, "abcd\n", "[ab]+[cd]"},
	{"long line without newline at the end", 3, "abcdefg", "[abc]+[def]+[g]"},
	{"cut long line then short lines", 2, "xyz\na\nbb\n", "[xy]+[z][a][bb]"},
	{"carriage returns do not count toward max", 2, "a\r\r\rb\n", "[ab]"},
	{"nothing", 4, "", ""},
};

/* Every table input fed whole, then byte by byte, then split at every
 * offset into two chunks: the pieces never depend on chunk boundaries. */
Test(stream_lines, table_split_at_every_offset)
{
	for (size_t i = 0; i < sizeof(sln_cases) / sizeof(sln_cases[0]); i++) {
		const struct sln_case *c = &sln_cases[i];
		size_t n = strlen(c->input);
		for (size_t cut = 0; cut <= n + 1; cut++) {
			struct lab_lines l;
			struct sln_out o = {LAB_BUF_INIT, 0, 0};
			lab_lines_init(&l, c->max);
			if (cut <= n) {
				cr_assert_eq(lab_lines_feed(&l, c->input, cut, sln_collect, &o), 0);
				cr_assert_eq(lab_lines_feed(&l, c->input + cut, n - cut, sln_collect, &o), 0);
			} else {
				for (size_t b = 0; b < n; b++)
					cr_assert_eq(lab_lines_feed(&l, c->input + b, 1, sln_collect, &o), 0);
			}
			cr_assert_eq(lab_lines_finish(&l, sln_collect, &o), 0);
			cr_expect_str_eq(lab_buf_cstr(&o.text), c->expect, "%s (cut at %zu)", c->name, cut);
			cr_expect(l.len == 0 && l.cont == 0, "%s: empty after finish", c->name);
			lab_lines_release(&l);
			lab_buf_release(&o.text);
		}
	}
}

/* A line far longer than the buffer: passed on in max-byte pieces, the
 * buffer never grows (its size is fixed at init). */
Test(stream_lines, line_longer_than_the_buffer)
{
	struct lab_lines l;
	struct sln_out o = {LAB_BUF_INIT, 0, 0};
	size_t total = 10 * LAB_LINE_MAX + 123;
	char *chunk = malloc(4096);
	memset(chunk, 'x', 4096);
	lab_lines_init(&l, 0);
	cr_assert_eq(l.max, LAB_LINE_MAX);
	char *buf = l.buf;
	size_t fed = 0, bytes = 0;
	while (fed < total) {
		size_t n = total - fed < 4096 ? total - fed : 4096;
		cr_assert_eq(lab_lines_feed(&l, chunk, n, sln_collect, &o), 0);
		fed += n;
		cr_assert(l.len <= LAB_LINE_MAX);
	}
	cr_assert_eq(lab_lines_feed(&l, "\n", 1, sln_collect, &o), 0);
	cr_expect_eq(l.buf, buf, "the buffer is the one made at init");
	cr_expect_eq(o.calls, 11, "10 full pieces and the rest");
	/* "[x...]" then 10 "+[x...]": every byte once, brackets around */
	for (size_t i = 0; i < o.text.len; i++)
		bytes += o.text.data[i] == 'x';
	cr_expect_eq(bytes, total);
	cr_expect_eq(o.text.data[0], '[');
	cr_expect_eq(o.text.len, total + 2 * 11 + 10);
	lab_lines_release(&l);
	lab_lines_release(&l); /* twice is fine */
	lab_buf_release(&o.text);
	free(chunk);
}

Test(stream_lines, callback_stop)
{
	struct lab_lines l;
	struct sln_out o = {LAB_BUF_INIT, 0, 2};
	lab_lines_init(&l, 4);
	cr_expect_eq(lab_lines_feed(&l, "a\nb\nc\nd\n", 8, sln_collect, &o), 1);
	cr_expect_str_eq(lab_buf_cstr(&o.text), "[a][b]");
	lab_lines_release(&l);
	lab_buf_release(&o.text);
}

/* Frames and lines together, as logs and run use them: frames split
 * mid-header and mid-payload, a line spanning frames, a line over the
 * buffer spanning frames, stdout and stderr kept apart. */
struct sfl_ctx {
	struct lab_lines lines[2];
	struct sln_out out[2];
};

static int sfl_line(const char *text, size_t len, int cont, void *ud)
{
	return sln_collect(text, len, cont, ud);
}

static int sfl_output(int stream, const char *data, size_t len, void *ud)
{
	struct sfl_ctx *c = ud;
	return lab_lines_feed(&c->lines[stream == 2], data, len, sfl_line, &c->out[stream == 2]);
}

Test(stream_lines, frames_split_mid_header_into_lines)
{
	struct lab_buf in = LAB_BUF_INIT;
	sfr_frame(&in, 1, "hel", 3);
	sfr_frame(&in, 2, "err-", 4);
	sfr_frame(&in, 1, "lo\nabcdefg", 10);
	sfr_frame(&in, 2, "one\n", 4);
	sfr_frame(&in, 1, "hij\nlast", 8);
	for (size_t step = 1; step <= in.len; step++) {
		struct sfl_ctx c;
		struct lab_frames f;
		struct lab_err err = {0};
		memset(&c, 0, sizeof(c));
		lab_frames_init(&f);
		lab_lines_init(&c.lines[0], 4);
		lab_lines_init(&c.lines[1], 4);
		/* chunks of `step` bytes: headers split at every offset */
		for (size_t off = 0; off < in.len; off += step) {
			size_t n = in.len - off < step ? in.len - off : step;
			cr_assert_eq(lab_frames_feed(&f, in.data + off, n, sfl_output, &c, &err), 0, "%s", err.msg);
		}
		cr_assert(lab_frames_complete(&f));
		lab_lines_finish(&c.lines[0], sfl_line, &c.out[0]);
		lab_lines_finish(&c.lines[1], sfl_line, &c.out[1]);
		cr_expect_str_eq(lab_buf_cstr(&c.out[0].text), "[hell]+[o][abcd]+[efgh]+[ij][last]", "step %zu", step);
		cr_expect_str_eq(lab_buf_cstr(&c.out[1].text), "[err-]+[one]", "step %zu", step);
		for (int s = 0; s < 2; s++) {
			lab_lines_release(&c.lines[s]);
			lab_buf_release(&c.out[s].text);
		}
	}
	lab_buf_release(&in);
}
