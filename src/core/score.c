/* score.c — being written. */
