/* Reading a file that came with a lab (or a build context) without
 * trusting it. */
#ifndef LAB_FILE_H
#define LAB_FILE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Read the regular file at path into out (empty on entry): at most max
 * bytes. The file is stat()ed before it is opened (non-blocking), so a FIFO
 * never blocks and a device is never read; /proc and /sys files are
 * refused too. Returns 0; LAB_ENOTFOUND when it does not exist;
 * LAB_EINPUT otherwise. On failure *msg is a new phrase to put after the
 * file's name: "is a directory, not a regular file", "is a FIFO, not a
 * regular file", "is a character device, not a regular file", "is larger
 * than 4 MiB", "cannot be read: <errno text>"; out is released. */
int lab_read_file(struct lab_buf *out, const char *path, size_t max, char **msg);

#endif
