# SPDX-License-Identifier: Apache-2.0
"""Camera authentication: digest and basic (over TCP with the project's RTSP
reader, and over UDP with libavformat) with the right password record;
a wrong password gives a clear status (authentication failed), is retried
forever with backoff, and the password never appears in the log or in the
output of any command."""
import re
import time

from harness import Camera, Nvr, check, check_segment_file, finish, wait_until

SECRET = "Sup3r-s3cret"
WRONG = "wr0ng-Pa55"

with Camera("h264.mp4", user="admin", password=SECRET, auth="digest") as dig, \
        Camera("h264.mp4", user="admin", password=SECRET, auth="basic") as bas:
    nvr = Nvr("auth", [
        ("digest", {"url": dig.url("admin", SECRET), "segment_seconds": 2}),
        ("basic", {"url": bas.url("admin", SECRET), "segment_seconds": 2, "transport": "udp"}),
        ("basic_tcp", {"url": bas.url("admin", SECRET), "segment_seconds": 2, "transport": "tcp"}),
        ("wrong", {"url": dig.url("admin", WRONG), "segment_seconds": 2}),
    ])
    nvr.start()
    check(nvr.wait_segments("digest", 2, 20), "digest-auth camera did not record")
    check(nvr.wait_segments("basic", 2, 20), "basic-auth camera did not record")
    check(nvr.wait_segments("basic_tcp", 2, 20), "basic-auth camera did not record over TCP")
    # the wrong password is retried: at least 3 attempts, with growing waits
    check(wait_until(lambda: nvr.log_text().count("camera=wrong connect failed") >= 3, 25),
          "the camera with a wrong password was not retried")
    rc = nvr.stop()
check(rc == 0, "nvr exited %r" % rc)

log = nvr.log_text()
check(SECRET not in log and WRONG not in log, "a camera password appears in the log")
lines = [l for l in log.splitlines() if "camera=wrong connect failed" in l]
check(all("authentication failed" in l for l in lines), "auth failure not named: %r" % lines[:1])
waits = [float(m) for m in re.findall(r"camera=wrong connect failed.*retry_in=([0-9.]+)s", log)]
check(len(waits) >= 3 and waits[2] > waits[0], "no backoff between retries: %r" % waits)
check(nvr.db_rows("wrong") == [], "the camera with the wrong password recorded something")
check("camera=basic connected transport=udp" in log, "basic camera did not use UDP as configured")
check("camera=basic_tcp connected transport=tcp" in log, "basic_tcp camera did not use TCP as configured")
for r in nvr.db_rows("digest") + nvr.db_rows("basic") + nvr.db_rows("basic_tcp"):
    check_segment_file(nvr, r)
# nothing the CLI prints shows the password either
for args in (["check", "-c", nvr.config], ["recordings", "-c", nvr.config, "digest", "--json"]):
    out = nvr.run_cli(*args)
    check(SECRET not in out.stdout + out.stderr, "password printed by nvr %s" % args[0])
print("wrong-password retries: %s" % ", ".join("%.1fs" % w for w in waits))
finish("auth")
