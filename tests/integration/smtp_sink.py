# SPDX-License-Identifier: Apache-2.0
"""A real SMTP server for the alert tests: aiosmtpd (Debian's python3-aiosmtpd)
on loopback, writing each message it accepts to DIR/NNNNNN.eml (the envelope
recipients first, as an X-Envelope-To header).  Run with the system python:

    /usr/bin/python3 smtp_sink.py DIR PORT

It prints "ready" once it listens and runs until killed."""
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            path = os.path.join(self.dir, "%06d.eml" % self.n)
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (envelope.mail_from, ",".join(envelope.rcpt_tos))
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


def main():
    directory, port = sys.argv[1], int(sys.argv[2])
    os.makedirs(directory, exist_ok=True)
    ctl = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    ctl.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    stop.wait()
    ctl.stop()


if __name__ == "__main__":
    main()
