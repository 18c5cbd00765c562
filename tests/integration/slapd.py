# SPDX-License-Identifier: Apache-2.0
"""A real OpenLDAP directory on loopback for the directory sign-in tests
(test_ldap.py, tests/browser/test_browser_ldap.py): Debian's `slapd` in a
temporary directory with its own slapd.conf (mdb backend, the memberof
overlay so a user's `memberOf` follows the groups' `member`), plain LDAP
(StartTLS offered) and LDAPS on free ports, with a certificate for
`localhost` signed by a CA the test makes with openssl.  Users and groups
are added over the network with ldapadd (so the overlay sees them) and
changed with ldapmodify."""
import os
import shutil
import subprocess
import tempfile

from harness import TMP, _children, free_port, wait_until

SUFFIX = "dc=school,dc=test"
ROOT_DN = "cn=root," + SUFFIX
ROOT_PW = "root-secret-1"
SERVICE_DN = "cn=nvr,ou=services," + SUFFIX
SERVICE_PW = "service-secret-1"
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"


def make_ca(d, name):
    """A self-signed CA (d/name.pem, d/name.key)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", os.path.join(d, name + ".key"), "-out", os.path.join(d, name + ".pem"),
                    "-days", "2", "-subj", "/CN=" + name], check=True, capture_output=True)
    return os.path.join(d, name + ".pem")


def make_server_cert(d, ca):
    """A certificate for localhost and 127.0.0.1 signed by ca (d/server.pem, d/server.key)."""
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    key, csr, crt = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.pem"))
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", csr, "-subj", "/CN=localhost"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(d, ca + ".pem"),
                    "-CAkey", os.path.join(d, ca + ".key"), "-CAcreateserial", "-out", crt, "-days", "2",
                    "-extfile", ext], check=True, capture_output=True)
    return crt, key


CONF = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
TLSCACertificateFile {d}/test-ca.pem
TLSCertificateFile {d}/server.pem
TLSCertificateKeyFile {d}/server.key
database mdb
suffix "{suffix}"
rootdn "{root}"
rootpw {rootpw}
directory {d}/db
maxsize 10485760
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
access to attrs=userPassword by self write by anonymous auth by * none
access to * by dn.exact="{service}" read by self read by * none
"""


class Slapd:
    """slapd on 127.0.0.1: ldap://localhost:port and ldaps://localhost:tls_port."""

    def __init__(self, name="ldap"):
        self.dir = tempfile.mkdtemp(prefix="slapd-%s-" % name, dir=TMP)
        os.makedirs(os.path.join(self.dir, "db"))
        self.ca = make_ca(self.dir, "test-ca")
        self.wrong_ca = make_ca(self.dir, "other-ca")
        make_server_cert(self.dir, "test-ca")
        self.conf = os.path.join(self.dir, "slapd.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(d=self.dir, suffix=SUFFIX, root=ROOT_DN, rootpw=ROOT_PW, service=SERVICE_DN))
        self.port, self.tls_port = free_port(), free_port()
        self.proc = None
        self.log_path = os.path.join(self.dir, "slapd.log")

    def start(self):
        self.log = open(self.log_path, "a")
        urls = "ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/" % (self.port, self.tls_port)
        self.proc = subprocess.Popen([SLAPD, "-f", self.conf, "-h", urls, "-d", "stats"],
                                     stdout=self.log, stderr=self.log)
        _children.append(self.proc)
        if not wait_until(self.up, 15):
            raise SystemExit("slapd did not start: see %s" % self.log_path)
        return self

    def up(self):
        r = subprocess.run(["ldapwhoami", "-x", "-H", self.url(), "-D", ROOT_DN, "-w", ROOT_PW],
                           capture_output=True, timeout=10)
        return r.returncode == 0

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
            self.log.close()

    def url(self):
        return "ldap://127.0.0.1:%d" % self.port

    def _tool(self, tool, ldif):
        r = subprocess.run([tool, "-x", "-H", self.url(), "-D", ROOT_DN, "-w", ROOT_PW], input=ldif,
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise SystemExit("%s failed: %s" % (tool, r.stderr))

    def add(self, ldif):
        self._tool("ldapadd", ldif)

    def modify(self, ldif):
        self._tool("ldapmodify", ldif)

    def search(self, dn, pw, base, flt, attrs=(), check=True):
        r = subprocess.run(["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", self.url(), "-D", dn, "-w", pw,
                            "-b", base, flt] + list(attrs), capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            if check:
                raise SystemExit("ldapsearch failed: %s" % r.stderr)
            return None
        return r.stdout

    def load_school(self, users, groups):
        """The tree: ou=people, ou=groups, ou=services (the service account
        nvr binds as).  users: {uid: password}; groups: {cn: [uid, ...]}."""
        ldif = ("dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: school\no: School\n\n" % SUFFIX)
        for ou in ("people", "groups", "services"):
            ldif += "dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n" % (ou, SUFFIX, ou)
        ldif += ("dn: %s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: nvr\n"
                 "userPassword: %s\n\n" % (SERVICE_DN, SERVICE_PW))
        for uid, pw in users.items():
            ldif += ("dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n"
                     "userPassword: %s\n\n" % (uid, SUFFIX, uid, uid, uid, pw))
        for cn, members in groups.items():
            # groupOfNames needs a member: a placeholder keeps a group valid when emptied
            ldif += ("dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: %s\nmember: cn=nobody,%s\n"
                     % (cn, SUFFIX, cn, SUFFIX))
            for m in members:
                ldif += "member: uid=%s,ou=people,%s\n" % (m, SUFFIX)
            ldif += "\n"
        self.add(ldif)

    def move(self, uid, from_group, to_group):
        """Takes uid out of one group and puts it into another."""
        dn = "uid=%s,ou=people,%s" % (uid, SUFFIX)
        self.modify("dn: cn=%s,ou=groups,%s\nchangetype: modify\ndelete: member\nmember: %s\n\n"
                    "dn: cn=%s,ou=groups,%s\nchangetype: modify\nadd: member\nmember: %s\n"
                    % (from_group, SUFFIX, dn, to_group, SUFFIX, dn))


def ldap_section(slapd, url=None, extra="", password_file=None):
    """The [ldap] section of nvr.conf for slapd (memberOf groups by default);
    with password_file, the service account's password is written there and
    given as bind_password_file."""
    if password_file:
        with open(password_file, "w") as f:
            f.write(SERVICE_PW + "\n")
        os.chmod(password_file, 0o600)
    secret = ("bind_password_file = %s" % password_file) if password_file else ("bind_password = %s" % SERVICE_PW)
    return ("\n[ldap]\nurl = %s\nbind_dn = %s\n%s\nuser_base = ou=people,%s\n"
            "admin_groups = nvr-admins\ninvestigator_groups = nvr-investigators\n"
            "viewer_groups = nvr-viewers, south-staff\n"
            "grant.nvr-viewers = cam1\ngrant.south-staff = group:south\ntimeout = 3\n%s\n"
            % (url or slapd.url(), SERVICE_DN, secret, SUFFIX, extra))
