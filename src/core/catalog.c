/* catalog.c — being written. */
