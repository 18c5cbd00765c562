#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make_clip.sh - make a test clip for nvr-test-camera with Debian's ffmpeg.
#
#   make_clip.sh OUT.mp4 h264|h265 [--audio] [--audio-codec aac|pcmu|pcma|l16] [--size WxH]
#                [--seconds S] [--bitrate KBIT] [--bframes N] [--open-gop] [--slices N]
#
# Video: testsrc2 at 25 fps with the `noise` filter on top (so the encoder
# cannot compress it to nothing and the bitrate is realistic), libx264 or
# libx265 -preset ultrafast, a closed GOP of 50 frames (a keyframe every 2 s),
# no B-frames, roughly constant bitrate (-b:v = -maxrate, -bufsize = 1 s).
# --bframes N: up to N B-frames between anchors, as the encoder's defaults
# use them (x264: adaptive, B-pyramid from 2; x265: adaptive); --open-gop:
# keyframes after the first are open (x264 open-gop, x265 CRA with leading
# pictures), as x265's defaults make them.  --slices N: each picture in N
# slices (NAL units), as cameras that encode in parallel send them.
# Audio (--audio): a 1 kHz sine, AAC-LC mono 48 kHz at 64 kbit/s.
# --audio-codec (implies --audio): aac as above; pcmu/pcma: the sine as G.711
# u-law/A-law mono 8 kHz, l16: as 16-bit big-endian PCM mono 8 kHz (a codec
# nvr does not record); these need a QuickTime container (OUT.mov), which
# nvr-test-camera's demuxer reads (--audio-codec pcmu|pcma|l16 there too).
# Defaults: 640x360, 10 s, 1000 kbit/s.  Exits non-zero on any failure.
set -eu

usage() {
    echo "usage: $0 OUT.mp4|OUT.mov h264|h265 [--audio] [--audio-codec aac|pcmu|pcma|l16] [--size WxH] [--seconds S] [--bitrate KBIT] [--bframes N] [--open-gop] [--slices N]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
out=$1
codec=$2
shift 2
audio=0
acodec=aac
size=640x360
seconds=10
bitrate=1000
bframes=0
opengop=0
slices=
while [ $# -gt 0 ]; do
    case $1 in
    --audio) audio=1; shift ;;
    --audio-codec) [ $# -ge 2 ] || usage; audio=1; acodec=$2; shift 2 ;;
    --size) [ $# -ge 2 ] || usage; size=$2; shift 2 ;;
    --seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
    --bitrate) [ $# -ge 2 ] || usage; bitrate=$2; shift 2 ;;
    --bframes) [ $# -ge 2 ] || usage; bframes=$2; shift 2 ;;
    --open-gop) opengop=1; shift ;;
    --slices) [ $# -ge 2 ] || usage; slices=$2; shift 2 ;;
    *) usage ;;
    esac
done

case $size in *[!0-9x]* | x* | *x | *x*x* | "") echo "$0: bad --size '$size'" >&2; exit 2 ;; esac
case $size in *x*) ;; *) echo "$0: bad --size '$size'" >&2; exit 2 ;; esac
case $seconds in '' | *[!0-9]*) echo "$0: bad --seconds '$seconds'" >&2; exit 2 ;; esac
case $bitrate in '' | *[!0-9]*) echo "$0: bad --bitrate '$bitrate'" >&2; exit 2 ;; esac
case $bframes in '' | *[!0-9]*) echo "$0: bad --bframes '$bframes'" >&2; exit 2 ;; esac
case $slices in '') ;; *[!0-9]* | 0) echo "$0: bad --slices '$slices'" >&2; exit 2 ;; *) slices=:slices=$slices ;; esac
[ "$seconds" -gt 0 ] && [ "$bitrate" -gt 0 ] || { echo "$0: --seconds and --bitrate must be > 0" >&2; exit 2; }
case $acodec in aac | pcmu | pcma | l16) ;; *) echo "$0: bad --audio-codec '$acodec'" >&2; exit 2 ;; esac
if [ "$acodec" != aac ]; then
    case $out in *.mov) ;; *) echo "$0: --audio-codec $acodec needs a .mov output" >&2; exit 2 ;; esac
fi
command -v ffmpeg >/dev/null || { echo "$0: ffmpeg not found" >&2; exit 1; }

case $codec in
h264)
    # ultrafast turns B-frames off; with --bframes the next preset keeps them
    preset=ultrafast
    [ "$bframes" -gt 0 ] && preset=superfast
    venc="-c:v libx264 -preset $preset -g 50 -keyint_min 50 -sc_threshold 0 -bf $bframes
          -x264-params open-gop=$opengop$slices"
    ;;
h265)
    venc="-c:v libx265 -preset ultrafast -g 50 -bf $bframes
          -x265-params keyint=50:min-keyint=50:bframes=$bframes:scenecut=0:open-gop=$opengop$slices:log-level=error
          -tag:v hvc1"
    ;;
*) usage ;;
esac

# Mild temporal noise: enough to keep the encoder busy at the asked bitrate,
# cheap enough for 1080p in real time on two cores.
vsrc="testsrc2=size=$size:rate=25,noise=alls=12:allf=t,format=yuv420p"
if [ "$audio" = 1 ] && [ "$acodec" = aac ]; then
    ain="-f lavfi -i sine=frequency=1000:sample_rate=48000"
    aenc="-c:a aac -b:a 64k -ac 1 -ar 48000"
elif [ "$audio" = 1 ]; then
    case $acodec in pcmu) c=pcm_mulaw ;; pcma) c=pcm_alaw ;; *) c=pcm_s16be ;; esac
    ain="-f lavfi -i sine=frequency=1000:sample_rate=8000"
    aenc="-c:a $c -ac 1 -ar 8000"
else
    ain=""
    aenc="-an"
fi

# shellcheck disable=SC2086 # word splitting of the option lists is intended
ffmpeg -hide_banner -nostdin -loglevel error -y \
    -f lavfi -i "$vsrc" $ain \
    -t "$seconds" \
    $venc -b:v "${bitrate}k" -maxrate "${bitrate}k" -bufsize "${bitrate}k" -pix_fmt yuv420p \
    $aenc -movflags +faststart "$out"
