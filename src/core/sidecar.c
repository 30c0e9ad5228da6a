/* sidecar.c — being written. */
