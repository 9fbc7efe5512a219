#!/bin/sh
# Prints 1 MiB to standard output, then 1 MiB and a last line to standard error, and exits 3.
head -c 1048576 /dev/zero | tr '\0' 'o'
head -c 1048576 /dev/zero | tr '\0' 'e' >&2
printf '\nthe last line of stderr\n' >&2
exit 3
