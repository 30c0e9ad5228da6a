/* tarindex.c — being written. */
