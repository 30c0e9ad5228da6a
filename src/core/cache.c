/* cache.c — being written. */
