/* labels.c — being written. */
