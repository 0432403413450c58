#!/bin/sh
ffmpeg-clawgym-absent -i "$1" -vf fps=1/10 "$2/%03d.png"
