/* What labctl needs to know of a Dockerfile: the images its FROM lines
 * name, so that a base image built here (labctl/jre:17 from images/jre) is
 * built before the images that are FROM it. */
#ifndef LAB_DOCKERFILE_H
#define LAB_DOCKERFILE_H

#include "../util/buf.h"
#include "../util/err.h"

/* The images text (a Dockerfile's content, NUL-terminated) builds FROM,
 * in order of first appearance, each once, appended to out: not "scratch"
 * and not the name of one of its own earlier stages (FROM build, after
 * FROM x AS build; case-insensitive, as Docker compares them).
 * Following the Dockerfile reference (docs.docker.com/reference/dockerfile):
 * - the parser directive `# escape=X` (\ or `) at the top sets the line
 *   continuation character; a line ending in it continues on the next,
 *   comment lines and empty lines inside a continuation are skipped;
 * - instructions are case-insensitive; FROM takes --flags (--platform=...)
 *   before the image and an optional "AS name" after it;
 * - ARGs before the first FROM (ARG NAME, ARG NAME=default, several per
 *   line, values optionally in quotes) are the only variables a FROM line
 *   sees; args ("NAME=VALUE", may be NULL: the build's --build-arg values)
 *   override their defaults, but only for ARGs declared there;
 * - $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} are expanded, an
 *   undeclared or unset NAME to nothing.
 * Returns 0, or LAB_EINPUT "line N: FROM without an image" (or "a variable
 * reference is not closed"); out then holds what came before. */
int lab_dockerfile_bases(struct lab_strv *out, const char *text, const struct lab_strv *args, struct lab_err *err);

#endif
