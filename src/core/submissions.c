/* submissions.c — being written. */
