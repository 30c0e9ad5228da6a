/* annotations.c — being written. */
