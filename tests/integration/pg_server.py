# SPDX-License-Identifier: Apache-2.0
"""A real PostgreSQL server on loopback for the tests (Debian's `postgresql`,
installed by packaging/install-deps.sh --test): its own cluster in a
temporary directory, a password-protected superuser, one database.

PostgreSQL refuses to run as root: when the tests run as root, the cluster
belongs to the `postgres` user the package creates and is run as it.
stop() is a fast shutdown, kill() a crash; start() again reuses the cluster
and the port, as a catalog server coming back would."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time

from harness import free_port, wait_until


def _bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    if not found:
        raise SystemExit("PostgreSQL is not installed (packaging/install-deps.sh --test installs it)")
    return found[-1]


class PgServer:
    def __init__(self, user="nvr", password="pg-secret-9", db="nvr"):
        self.user, self.password, self.db = user, password, db
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="nvr-pg-")
        self.data = os.path.join(self.dir, "data")
        self.as_user = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(password + "\n")
        if self.as_user:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        subprocess.run(self.as_user + [_bin("initdb"), "-D", self.data, "-U", user, "--auth=scram-sha-256",
                                       "--pwfile", pwfile, "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, text=True, timeout=120)
        os.unlink(pwfile)
        self.proc = None
        self.log = os.path.join(self.dir, "postgres.log")

    def url(self, db=None, password=True):
        cred = self.user + (":" + self.password if password else "")
        return "postgresql://%s@127.0.0.1:%d/%s" % (cred, self.port, db or self.db)

    def start(self, create_db=True):
        log = open(self.log, "a")
        if self.as_user:
            os.chown(self.log, pwd.getpwnam("postgres").pw_uid, -1)
        self.proc = subprocess.Popen(self.as_user + [_bin("postgres"), "-D", self.data, "-p", str(self.port),
                                                     "-h", "127.0.0.1", "-k", self.dir, "-c", "fsync=off"],
                                     stdout=log, stderr=log)
        if not wait_until(lambda: subprocess.run([_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                                 capture_output=True).returncode == 0, 30):
            raise SystemExit("PostgreSQL did not start: see %s" % self.log)
        if create_db and not self.query("SELECT 1 FROM pg_database WHERE datname = '%s'" % self.db, db="postgres"):
            self.sql("CREATE DATABASE %s" % self.db, db="postgres")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: fast shutdown
            self.proc.wait(30)
        self.proc = None

    def psql(self, sql, db=None):
        return subprocess.run(["psql", self.url(db), "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                               "-c", sql], capture_output=True, text=True, timeout=60)

    def sql(self, sql, db=None):
        r = self.psql(sql, db)
        if r.returncode != 0:
            raise SystemExit("psql failed: %s" % r.stderr)
        return r.stdout

    def query(self, sql, db=None):
        """Rows as lists of text (empty on an error, such as a table not made yet)."""
        r = self.psql(sql, db)
        if r.returncode != 0:
            return []
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
