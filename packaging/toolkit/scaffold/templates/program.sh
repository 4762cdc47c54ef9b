#!/bin/sh
# A stand-in for your program: replace payload/ with your own files.
echo "__NAME__ 1.0.0"
