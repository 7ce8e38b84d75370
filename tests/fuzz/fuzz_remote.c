/* Other parsers of data from outside: S3 XML answers (lab_s3_xml_field,
 * on object store error bodies and ListObjectsV2 pages) and a build
 * context's .dockerignore patterns (lab_context_ignored).
 *
 * Input: first byte picks the parser (mod 2). XML: the text, searched for
 * Code, Message, Key, IsTruncated and NextContinuationToken; a field found
 * is XML-entity-decoded (&amp; -> &), so it is no longer than the text. .dockerignore: lines of patterns, the
 * last line is the path asked about; matching must be deterministic. */
#include "../../labctl/engine/context.h"
#include "../../labctl/s3/s3.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = fuzz_cstr(data + 1, size - 1);
	if (data[0] % 2 == 0) {
		static const char *const fields[] = {"Code", "Message", "Key", "IsTruncated", "NextContinuationToken"};
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			char *v = lab_s3_xml_field(s, fields[i]);
			FUZZ_CHECK(!v || strlen(v) <= strlen(s));
			free(v);
		}
	} else {
		struct lab_strv pats = LAB_STRV_INIT;
		char *save = NULL, *last = NULL;
		for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (last)
				lab_strv_push(&pats, last);
			last = line;
		}
		if (last) {
			int a = lab_context_ignored(&pats, last), b = lab_context_ignored(&pats, last);
			FUZZ_CHECK(a == b && (a == 0 || a == 1));
		}
		lab_strv_free(&pats);
	}
	free(s);
	return 0;
}
