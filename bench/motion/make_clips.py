#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make_clips.py OUTDIR [--quick] - the motion quality bench's test set
(bench/README.md "bench/motion"): clips made with Debian's ffmpeg (lavfi)
and a manifest (OUTDIR/manifest.json) with the ground truth.

The scene is a still, coloured, textured picture with sensor noise
(640x360, 25 fps, H.264 ultrafast, a keyframe every second).
- objects_N: boxes of random size (30-120 px), colour (white, black, grey,
  red, blue: some with little luma contrast) and speed cross the picture
  from one edge to the other, one at a time, 8 clips; half of them also
  have a slow brightness ramp; objects_rain and objects_noise have the
  boxes under the rain and the strong noise of the distractors below.  The truth of an event is the interval
  in which part of the box is in the picture.
- distractors, no object at all (each 15 minutes, together one camera-hour):
  noise (strong temporal noise), ramp (brightness and contrast swinging
  over minutes: a sunrise, auto-exposure), ir (every 150 s the picture
  switches to an infrared look: grey, another gamma and contrast, and
  back), rain (one-pixel streaks everywhere, and the brightness flickering
  from frame to frame).
Clips already made are kept (delete OUTDIR to make them again)."""
import json
import os
import random
import subprocess
import sys

W, H, FPS = 640, 360, 25
SCENE = ("color=s=%dx%d:r=%d:d=0.04,"
         "geq=lum='110+45*sin(X/13)*cos(Y/9)+25*sin(X/41+Y/17)':cb='128+40*sin(X/50)':cr='128+40*cos(Y/40)',"
         "loop=loop=-1:size=1,trim=duration=%%d,setpts=N/%d/TB" % (W, H, FPS, FPS))
ENC = ["-c:v", "libx264", "-preset", "ultrafast", "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0",
       "-b:v", "800k", "-maxrate", "800k", "-bufsize", "800k", "-pix_fmt", "yuv420p", "-an"]
COLOURS = ["white", "black", "0x808080", "red", "blue", "0xd0d0d0", "0x303030"]


def ffmpeg(args, out):
    if os.path.exists(out) and os.path.getsize(out) > 0:
        return
    tmp = out + ".tmp.mp4"
    r = subprocess.run(["nice", "-n", "19", "ffmpeg", "-v", "error", "-y", "-threads", "1"] + args + ENC + [tmp],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("ffmpeg failed for %s: %s" % (out, r.stderr[-2000:]))
    os.rename(tmp, out)


def rain_source(seconds):
    return ("color=c=gray:s=%dx%d:r=%d:d=%d,noise=alls=100:allf=t,"
            "lutyuv=y='if(gt(val,225),160,0)':u=128:v=128,scale=%d:%d:flags=neighbor"
            % (W, H // 12, FPS, seconds, W, H))


def objects_clip(out, seconds, rng, ramp, weather=None):
    inputs = ["-f", "lavfi", "-i", SCENE % seconds]
    chain, truth, t, last = [], [], 5.0 + rng.random() * 5, "0:v"
    if ramp:
        chain.append("[0:v]eq=brightness='0.15*sin(2*PI*t/97)':eval=frame[b0]")
        last = "b0"
    k = 0
    while True:
        w, h = rng.randint(30, 100), rng.randint(40, 120)
        dur = rng.uniform(4, 16)
        if t + dur > seconds - 5:
            break
        y = rng.randint(0, H - h)
        v = (W + w) / dur
        ltr = rng.random() < 0.5
        x = "%f+(t-%f)*%f" % (-w, t, v) if ltr else "%f-(t-%f)*%f" % (W, t, v)
        inputs += ["-f", "lavfi", "-i", "color=c=%s:s=%dx%d:r=%d:d=%d" % (rng.choice(COLOURS), w, h, FPS, seconds)]
        k += 1
        chain.append("[%s][%d:v]overlay=x='%s':y=%d:enable='between(t,%f,%f)'[o%d]" % (last, k, x, y, t, t + dur, k))
        last = "o%d" % k
        truth.append([round(t, 3), round(t + dur, 3)])
        t += dur + rng.uniform(8, 25)
    if weather == "rain":
        inputs += ["-f", "lavfi", "-i", rain_source(seconds)]
        chain.append("[%d:v][%s]blend=c0_mode=addition:c1_mode=normal:c1_opacity=0:c2_mode=normal:c2_opacity=0,"
                     "eq=brightness='0.1*(random(1)-0.5)':eval=frame[w]" % (k + 1, last))
        last = "w"
    chain.append("[%s]noise=alls=%d:allf=t[out]" % (last, 25 if weather == "noise" else 6))
    ffmpeg(inputs + ["-filter_complex", ";".join(chain), "-map", "[out]", "-t", str(seconds)], out)
    return truth


def distractor_clip(out, kind, seconds):
    scene = SCENE % seconds
    if kind == "noise":
        fc = "[0:v]noise=alls=25:allf=t[out]"
        inputs = ["-f", "lavfi", "-i", scene]
    elif kind == "ramp":
        fc = ("[0:v]eq=brightness='0.25*sin(2*PI*t/300)':contrast='1+0.25*sin(2*PI*t/170)':eval=frame,"
              "noise=alls=6:allf=t[out]")
        inputs = ["-f", "lavfi", "-i", scene]
    elif kind == "ir":
        half = min(150, seconds // 4)
        fc = ("[0:v]split[day][n];[n]hue=s=0,eq=gamma=1.6:contrast=1.3:brightness=0.05,vignette[night];"
              "[day][night]overlay=enable='gte(mod(t,%d),%d)',noise=alls=8:allf=t[out]" % (2 * half, half))
        inputs = ["-f", "lavfi", "-i", scene]
    elif kind == "rain":
        rain = rain_source(seconds)
        fc = ("[1:v][0:v]blend=c0_mode=addition:c1_mode=normal:c1_opacity=0:c2_mode=normal:c2_opacity=0,"
              "eq=brightness='0.1*(random(1)-0.5)':eval=frame,noise=alls=6:allf=t[out]")
        inputs = ["-f", "lavfi", "-i", scene, "-f", "lavfi", "-i", rain]
    ffmpeg(inputs + ["-filter_complex", fc, "-map", "[out]", "-t", str(seconds)], out)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir, quick = sys.argv[1], "--quick" in sys.argv
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(14)
    n_obj, obj_s, dis_s = (2, 120, 120) if quick else (8, 300, 900)
    clips = []
    for i in range(n_obj):
        path = os.path.join(outdir, "objects_%d.mp4" % i)
        truth = objects_clip(path, obj_s, rng, ramp=i % 2 == 1)
        clips.append({"file": os.path.basename(path), "kind": "objects", "seconds": obj_s, "events": truth})
        print("made %s (%d events)" % (path, len(truth)), flush=True)
    for weather in ("rain", "noise"):
        path = os.path.join(outdir, "objects_%s.mp4" % weather)
        truth = objects_clip(path, obj_s, rng, ramp=False, weather=weather)
        clips.append({"file": os.path.basename(path), "kind": "objects_" + weather, "seconds": obj_s,
                      "events": truth})
        print("made %s (%d events)" % (path, len(truth)), flush=True)
    for kind in ("noise", "ramp", "ir", "rain"):
        path = os.path.join(outdir, "distractor_%s.mp4" % kind)
        distractor_clip(path, kind, dis_s)
        clips.append({"file": os.path.basename(path), "kind": "distractor_" + kind, "seconds": dis_s, "events": []})
        print("made %s" % path, flush=True)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump({"width": W, "height": H, "fps": FPS, "gop_s": 1, "clips": clips}, f, indent=1)


main()
