/* The engine's stream decoders (labctl/engine/stream.c): multiplexed
 * log/exec frames and JSON-lines build/pull progress, as a daemon (or
 * something pretending to be one) could send them.
 *
 * Input: first byte = chunk size seed, the rest is the stream. Each decoder
 * gets it once whole and once cut into chunks of varying size; the two
 * must agree (frames: the same bytes per stream, the same result;
 * JSON lines: the same error and image id). Payload pieces are never
 * longer than what was fed, and no frame is over LAB_FRAME_MAX. */
#include "../../labctl/engine/stream.h"
#include "fuzz.h"

struct sink {
	struct lab_buf out[3];
	size_t pieces;
};

static int on_frame(int stream, const char *data, size_t len, void *ud)
{
	struct sink *k = ud;
	FUZZ_CHECK(stream >= 1 && stream <= 2);
	FUZZ_CHECK(len <= LAB_FRAME_MAX);
	lab_buf_append(&k->out[stream], data, len);
	k->pieces++;
	return 0;
}

static void on_progress(const char *line, int final, void *ud)
{
	size_t *n = ud;
	FUZZ_CHECK(line != NULL);
	FUZZ_CHECK(final == 0 || final == 1);
	(*n)++;
}

/* Frames: the whole input, or chunks of 1..chunk bytes. */
static int frames(const char *d, size_t n, size_t chunk, struct sink *k, int *complete)
{
	struct lab_frames f;
	struct lab_err err = {0};
	lab_frames_init(&f);
	int rc = 0;
	for (size_t at = 0; at < n && rc == 0;) {
		size_t take = chunk ? 1 + (at * 7 + chunk) % chunk : n - at;
		if (take > n - at)
			take = n - at;
		rc = lab_frames_feed(&f, d + at, take, on_frame, k, &err);
		FUZZ_CHECK(rc == 0 || (rc == LAB_ERR && strstr(err.msg, "malformed stream frame")));
		at += take;
	}
	*complete = lab_frames_complete(&f);
	return rc;
}

/* JSON lines, the same way; *error / *id: copies of what it kept. */
static int jsonl(const char *d, size_t n, size_t chunk, char **error, char **id)
{
	struct lab_jsonl j;
	struct lab_err err = {0};
	size_t lines = 0;
	lab_jsonl_init(&j);
	int rc = 0;
	for (size_t at = 0; at < n && rc == 0;) {
		size_t take = chunk ? 1 + (at * 5 + chunk) % chunk : n - at;
		if (take > n - at)
			take = n - at;
		rc = lab_jsonl_feed(&j, d + at, take, on_progress, &lines, &err);
		FUZZ_CHECK(rc == 0 || (rc == LAB_ERR && err.msg[0]));
		at += take;
	}
	if (rc == 0)
		rc = lab_jsonl_finish(&j, on_progress, &lines, &err);
	FUZZ_CHECK(rc == 0 || (rc == LAB_ERR && err.msg[0]));
	*error = j.error ? strdup(j.error) : NULL;
	*id = j.image_id ? strdup(j.image_id) : NULL;
	lab_jsonl_release(&j);
	return rc;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = 1 + data[0] % 16;
	const char *d = (const char *)data + 1;
	size_t n = size - 1;

	struct sink whole = {0}, cut = {0};
	int c1 = 0, c2 = 0;
	int r1 = frames(d, n, 0, &whole, &c1), r2 = frames(d, n, chunk, &cut, &c2);
	FUZZ_CHECK(r1 == r2);
	if (r1 == 0) {
		FUZZ_CHECK(c1 == c2);
		for (int s = 1; s <= 2; s++) {
			FUZZ_CHECK(whole.out[s].len == cut.out[s].len);
			FUZZ_CHECK(whole.out[s].len == 0 ||
				   memcmp(whole.out[s].data, cut.out[s].data, whole.out[s].len) == 0);
		}
	}
	for (int s = 0; s < 3; s++) {
		lab_buf_release(&whole.out[s]);
		lab_buf_release(&cut.out[s]);
	}

	char *e1 = NULL, *i1 = NULL, *e2 = NULL, *i2 = NULL;
	r1 = jsonl(d, n, 0, &e1, &i1);
	r2 = jsonl(d, n, chunk, &e2, &i2);
	FUZZ_CHECK(r1 == r2);
	FUZZ_CHECK(same(e1, e2) && same(i1, i2));
	free(e1), free(i1), free(e2), free(i2);
	return 0;
}
