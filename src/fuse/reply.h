/* reply.h — replies shared by the FUSE callbacks (ops.c) and the
 * predictions files (predictions.c), so that neither calls into the other
 * for them. */
#ifndef IMLFS_FUSE_REPLY_H
#define IMLFS_FUSE_REPLY_H

#include "fs.h"

/* Reply with text[off .. off+size), clipped to len. */
void imlfs_reply_slice(fuse_req_t req, const char *text, size_t len, size_t size, off_t off);

#endif
