/* jsonscan.c — being written. */
