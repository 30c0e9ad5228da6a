/* handles.h — a list of the handles a file system has open (fi->fh).
 * The kernel may drop the RELEASE of a file closed just before an unmount,
 * so a handle can outlive the session; the list lets the daemon free what
 * is left when it stops.  Embed a struct imlfs_handle_link in the handle. */
#ifndef IMLFS_FUSE_HANDLES_H
#define IMLFS_FUSE_HANDLES_H

#include <pthread.h>

struct imlfs_handle_link {
	struct imlfs_handle_link *prev, *next;
};

struct imlfs_handle_list {
	pthread_mutex_t lock;
	struct imlfs_handle_link *head;
};

#define IMLFS_HANDLE_LIST_INIT { PTHREAD_MUTEX_INITIALIZER, NULL }

void imlfs_handles_add(struct imlfs_handle_list *l, struct imlfs_handle_link *h);
void imlfs_handles_remove(struct imlfs_handle_list *l, struct imlfs_handle_link *h);
/* Take one handle off the list (NULL when it is empty): for freeing them
 * all at the end. */
struct imlfs_handle_link *imlfs_handles_pop(struct imlfs_handle_list *l);

#endif
