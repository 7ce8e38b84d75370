/* A hash index from strings to numbers (positions in an array the caller
 * owns), so that loops over thousands of names stay linear: duplicate YAML
 * keys, service and volume names, environment keys.
 *
 * Keys are borrowed: the index stores the pointer and length given, which
 * must stay valid and unchanged while the index is used. Open addressing
 * with linear probing (FNV-1a), grown to keep the load at most one half;
 * lookups and inserts are O(1) on average. Out of memory aborts like
 * lab_xmalloc. */
#ifndef LAB_INDEX_H
#define LAB_INDEX_H

#include <stddef.h>

struct lab_index_slot {
	const char *key; /* NULL = empty slot */
	size_t len;
	size_t val;
};

struct lab_index {
	struct lab_index_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

#define LAB_INDEX_INIT {NULL, 0, 0}

/* The value stored for the len bytes at key, or -1 when there is none. */
long lab_index_get(const struct lab_index *ix, const char *key, size_t len);
/* Store key -> val unless key is already there. Returns the value already
 * stored for key, or -1 when key was added. */
long lab_index_put(struct lab_index *ix, const char *key, size_t len, size_t val);
/* Store key -> val, replacing the value stored for an equal key; the index
 * then borrows this key's bytes instead of the old one's. */
void lab_index_set(struct lab_index *ix, const char *key, size_t len, size_t val);
/* Free the slots; the index is LAB_INDEX_INIT afterwards. Accepts NULL. */
void lab_index_free(struct lab_index *ix);

#endif
