/* load.c — being written. */
