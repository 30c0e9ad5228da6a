/* handles.c — see handles.h. */
#include "handles.h"

#include <stddef.h>

void imlfs_handles_add(struct imlfs_handle_list *l, struct imlfs_handle_link *h)
{
	pthread_mutex_lock(&l->lock);
	h->prev = NULL;
	h->next = l->head;
	if (h->next)
		h->next->prev = h;
	l->head = h;
	pthread_mutex_unlock(&l->lock);
}

static void unlink_locked(struct imlfs_handle_list *l, struct imlfs_handle_link *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		l->head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
}

void imlfs_handles_remove(struct imlfs_handle_list *l, struct imlfs_handle_link *h)
{
	pthread_mutex_lock(&l->lock);
	unlink_locked(l, h);
	pthread_mutex_unlock(&l->lock);
}

struct imlfs_handle_link *imlfs_handles_pop(struct imlfs_handle_list *l)
{
	struct imlfs_handle_link *h;

	pthread_mutex_lock(&l->lock);
	h = l->head;
	if (h)
		unlink_locked(l, h);
	pthread_mutex_unlock(&l->lock);
	return h;
}
