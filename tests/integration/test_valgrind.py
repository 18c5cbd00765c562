# SPDX-License-Identifier: Apache-2.0
"""`nvr run` under valgrind (memcheck): recording two cameras (one of them
reconnecting) and a clean stop produce no memory error and no definite leak.
Runs in the normal build only (valgrind and ASan do not mix)."""
import os
import re
import shutil
import subprocess
import time

from harness import NVR, Camera, Nvr, check, check_segment_file, finish

if not shutil.which("valgrind"):
    print("valgrind: 0 passed, 0 failed, 1 skipped (valgrind not installed)")
    raise SystemExit(0)

# Can valgrind run our binary at all here?
probe = subprocess.run(["valgrind", "-q", NVR, "version"], capture_output=True, text=True, timeout=120)
if "SIGILL" in probe.stderr and "libhwy" in probe.stderr:
    # Debian 12's valgrind 3.19 cannot execute RDTSCP, which libhwy (loaded by
    # libavcodec through libjxl) runs in a static initialiser: nothing of ours ran.
    print("valgrind: 0 passed, 0 failed, 1 skipped (valgrind 3.19 cannot run libhwy's "
          "RDTSCP at load time; memory errors and leaks are covered by the ASan+LSan build)")
    raise SystemExit(0)

vlog = None
with Camera("h264_aac.mp4") as c1, Camera("h265_aac.mp4") as c2:
    nvr = Nvr("valgrind", [
        ("a", {"url": c1.url(), "segment_seconds": 3, "audio": "on"}),
        ("b", {"url": c2.url(), "segment_seconds": 3}),
    ])
    vlog = os.path.join(nvr.dir, "valgrind.log")
    nvr.wrapper = ["valgrind", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
                   "--show-leak-kinds=definite", "--log-file=" + vlog]
    nvr.start()
    check(nvr.wait_segments("a", 2, 60), "camera a did not record under valgrind")
    c2.stop()          # exercise the reconnect path too
    time.sleep(3)
    c2.start()
    time.sleep(8)
    rc = nvr.stop(timeout=60)
text = open(vlog).read()
m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
check(rc == 0, "nvr under valgrind exited %r (99 = valgrind found errors)" % rc)
check(m and m.group(1) == "0", "valgrind: %s" % (m.group(0) if m else "no summary"))
check("definitely lost: 0 bytes" in text or "All heap blocks were freed" in text or
      "definitely lost" not in text, "valgrind reports a definite leak")
for r in nvr.db_rows():
    check_segment_file(nvr, r)
print(m.group(0) if m else "no valgrind summary")
finish("valgrind")
