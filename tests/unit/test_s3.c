/* Unit tests of labctl/s3's XML field reader: S3 escapes keys and tokens
 * as XML text, and a token must go back as the string it stands for. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../labctl/s3/s3.h"

Test(s3_xml_field, entities_decoded_table)
{
	struct {
		const char *xml, *field, *want; /* want NULL: no such field */
	} t[] = {
		{"<a><NextContinuationToken>r&amp;d/x/k0999.json</NextContinuationToken></a>", "NextContinuationToken",
		 "r&d/x/k0999.json"},
		{"<Key>&lt;&gt;&quot;&apos;&amp;amp;</Key>", "Key", "<>\"'&amp;"},
		{"<Key>caf&#233; &#x41;&#X42;</Key>", "Key", "caf\xc3\xa9 A&#X42;"},
		{"<Key>&#128512;</Key>", "Key", "\xf0\x9f\x98\x80"},
		{"<Key>a &unknown; b &amp c & d &#; &#xZZ; &#0;</Key>", "Key", "a &unknown; b &amp c & d &#; &#xZZ; &#0;"},
		{"<Key>&#1114112;</Key>", "Key", "&#1114112;"}, /* past U+10FFFF: kept */
		{"<IsTruncated>true</IsTruncated>", "IsTruncated", "true"},
		{"<Key></Key>", "Key", ""},
		{"<Key>open", "Key", NULL},
		{"<Other>x</Other>", "Key", NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = lab_s3_xml_field(t[i].xml, t[i].field);
		if (!t[i].want)
			cr_expect_null(got, "%s: %s", t[i].xml, got);
		else
			cr_expect(got && strcmp(got, t[i].want) == 0, "%s: got '%s', want '%s'", t[i].xml,
				  got ? got : "(null)", t[i].want);
		free(got);
	}
	cr_expect_null(lab_s3_xml_field(NULL, "Key"));
}
