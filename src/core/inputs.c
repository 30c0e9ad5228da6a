/* inputs.c — being written. */
