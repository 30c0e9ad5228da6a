/* predictions.c — being written. */
