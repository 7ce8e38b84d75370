#include "index.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

static size_t hash(const char *key, size_t len)
{
	size_t h = (size_t)14695981039346656037ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= (size_t)1099511628211ULL;
	}
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct lab_index_slot *find(const struct lab_index *ix, const char *key, size_t len)
{
	size_t mask = ix->cap - 1;
	for (size_t i = hash(key, len) & mask;; i = (i + 1) & mask) {
		struct lab_index_slot *s = &ix->slots[i];
		if (!s->key || (s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

static void grow(struct lab_index *ix)
{
	struct lab_index old = *ix;
	ix->cap = old.cap ? old.cap * 2 : 16;
	ix->slots = lab_xcalloc(ix->cap, sizeof(*ix->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find(ix, old.slots[i].key, old.slots[i].len) = old.slots[i];
	free(old.slots);
}

long lab_index_get(const struct lab_index *ix, const char *key, size_t len)
{
	if (!ix->cap)
		return -1;
	const struct lab_index_slot *s = find(ix, key, len);
	return s->key ? (long)s->val : -1;
}

long lab_index_put(struct lab_index *ix, const char *key, size_t len, size_t val)
{
	if ((ix->n + 1) * 2 > ix->cap)
		grow(ix);
	struct lab_index_slot *s = find(ix, key, len);
	if (s->key)
		return (long)s->val;
	s->key = key;
	s->len = len;
	s->val = val;
	ix->n++;
	return -1;
}

void lab_index_set(struct lab_index *ix, const char *key, size_t len, size_t val)
{
	if (lab_index_put(ix, key, len, val) < 0)
		return;
	struct lab_index_slot *s = find(ix, key, len);
	s->key = key; /* an equal key: from now on the index borrows this one */
	s->val = val;
}

void lab_index_free(struct lab_index *ix)
{
	if (!ix)
		return;
	free(ix->slots);
	ix->slots = NULL;
	ix->cap = ix->n = 0;
}
