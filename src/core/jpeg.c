/* jpeg.c — being written. */
