#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Makes the small clips the integration tests serve from the test camera
# (640x360, 25 fps, a keyframe every 2 s, 10 s long), once per build tree.
set -eu
dir=$1
mk=$(dirname "$0")/../camera/make_clip.sh
mkdir -p "$dir"
[ -s "$dir/h264.mp4" ] || "$mk" "$dir/h264.mp4" h264
[ -s "$dir/h264_aac.mp4" ] || "$mk" "$dir/h264_aac.mp4" h264 --audio
[ -s "$dir/h265_aac.mp4" ] || "$mk" "$dir/h265_aac.mp4" h265 --audio
[ -s "$dir/h264_4s.mp4" ] || "$mk" "$dir/h264_4s.mp4" h264 --seconds 4
[ -s "$dir/h264_4s_320.mp4" ] || "$mk" "$dir/h264_4s_320.mp4" h264 --seconds 4 --size 320x240
# cameras shaped unlike the others: B-frames (x264 with a B-pyramid, closed
# GOPs; x265 with open GOPs, CRA keyframes with leading pictures)
[ -s "$dir/h264_bf.mp4" ] || "$mk" "$dir/h264_bf.mp4" h264 --bframes 2
[ -s "$dir/h265_bf.mp4" ] || "$mk" "$dir/h265_bf.mp4" h265 --bframes 3 --open-gop
# four slices a picture (H.265), for senders that reorder a frame's NAL units
[ -s "$dir/h265_slices.mp4" ] || "$mk" "$dir/h265_slices.mp4" h265 --slices 4
for a in pcmu pcma l16; do
    [ -s "$dir/h264_$a.mov" ] || "$mk" "$dir/h264_$a.mov" h264 --audio-codec $a
done
echo "clips ready in $dir"
