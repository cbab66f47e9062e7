#!/bin/sh
# Compiles the program when the container starts, then runs it: the image
# needs the C compiler and the C library's headers at run time.
set -e
gcc -O2 -o /tmp/hello /app/hello.c
exec /tmp/hello "$@"
