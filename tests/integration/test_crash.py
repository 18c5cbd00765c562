# SPDX-License-Identifier: Apache-2.0
"""kill -9 in the middle of a segment: on restart the partial segment is
recovered (truncated to its last whole fragment, hashed, completed), the
index points at no missing data, no file is left that the index does not
know, and recording continues after it without overlap.  Also a torn last
fragment (bytes written past what the index lists) is cut off."""
import os
import time

from harness import Camera, Nvr, check, check_segment_file, finish, fragments, top_level_boxes, wait_until

with Camera("h264.mp4") as cam:
    nvr = Nvr("crash", [("c", {"url": cam.url(), "segment_seconds": 60})])
    nvr.start()
    # wait until the open segment has at least 3 durable fragments
    def frags():
        rows = nvr.db_rows("c")
        return rows and rows[-1]["state"] == 1 and len(fragments(rows[-1])) >= 3
    check(wait_until(frags, 30), "no fragments were indexed")
    time.sleep(0.7)  # somewhere inside the next GOP
    nvr.kill9()

    rows = nvr.db_rows("c")
    check(len(rows) == 1 and rows[0]["state"] == 1, "expected one unfinished segment after kill -9")
    before = rows[0]
    path = nvr.path(before["path"])
    size_on_disk = os.path.getsize(path)
    check(size_on_disk >= before["bytes"], "file shorter than the index says: %d < %d" % (size_on_disk, before["bytes"]))
    # simulate a torn write: half a fragment past what the index lists
    with open(path, "ab") as f:
        f.write(b"\0\0\1\0moof" + os.urandom(5000))
    # and a stray file in the camera's directory the index does not know
    stray = os.path.join(os.path.dirname(path), "c-stray.mp4")
    with open(stray, "wb") as f:
        f.write(b"junk")

    # `nvr check --storage` reports the unfinished segment is not a problem while
    # running, but the stray file is
    r = nvr.run_cli("check", "-c", nvr.config, "--storage")
    check(r.returncode == 1 and "c-stray.mp4: file not in the index" in r.stdout,
          "check --storage did not report the stray file: %r" % r.stdout)

    nvr.start()  # recovery happens at start-up
    check(nvr.wait_segments("c", 1, 20), "the partial segment was not recovered")
    time.sleep(4)
    rc = nvr.stop()
check(rc == 0, "nvr exited %r" % rc)

rows = nvr.db_rows("c")
check(len(rows) >= 2, "no new segment after the restart")
rec = rows[0]
check(rec["id"] == before["id"] and rec["state"] == 0, "the recovered segment is not complete")
check(len(fragments(rec)) == len(fragments(before)), "recovered %d fragments, %d were durable" %
      (len(fragments(rec)), len(fragments(before))))
check(os.path.getsize(path) == rec["bytes"], "the torn bytes were not cut off")
check(not os.path.exists(stray), "the stray file is still there")
check(os.path.exists(nvr.path(os.path.join("quarantine", os.path.relpath(stray, nvr.data_dir)))),
      "the stray file was not moved to quarantine (never deleted)")
for r in rows:
    check_segment_file(nvr, r)
for a, b in zip(rows, rows[1:]):
    check(b["start_us"] >= a["end_us"], "overlap after recovery")
r = nvr.run_cli("check", "-c", nvr.config, "--storage")
check(r.returncode == 0 and "storage: 0 problems" in r.stdout, "check --storage after recovery: %r" % r.stdout)
check("recovered segment" in nvr.log_text(), "recovery was not logged")

# a file lost behind our back (a disk error, a person): reported, then repaired
gone = rows[-1]
os.unlink(nvr.path(gone["path"]))
r = nvr.run_cli("check", "-c", nvr.config, "--storage")
check(r.returncode == 1 and "%s: indexed but the file is missing" % gone["path"] in r.stdout,
      "check --storage did not report the missing file: %r" % r.stdout)
r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--repair")
check(r.returncode == 1 and "(would remove the row)" in r.stdout, "repair dry run: %r" % r.stdout)
check(gone["id"] in [x["id"] for x in nvr.db_rows("c")], "the dry run removed the row")
r = nvr.run_cli("check", "-c", nvr.config, "--storage", "--repair", "--apply")
check(r.returncode == 0 and "(row removed)" in r.stdout, "repair: %r" % r.stdout)
check(gone["id"] not in [x["id"] for x in nvr.db_rows("c")], "the row of the missing file is still there")
r = nvr.run_cli("check", "-c", nvr.config, "--storage")
check(r.returncode == 0 and "storage: 0 problems" in r.stdout, "after repair: %r" % r.stdout)
finish("crash")
