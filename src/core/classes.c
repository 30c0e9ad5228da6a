/* classes.c — being written. */
