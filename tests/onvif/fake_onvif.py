#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A fake ONVIF device for the audit tests: an HTTP server on loopback that
answers the SOAP 1.2 calls nvr makes (GetSystemDateAndTime,
GetDeviceInformation, GetNetworkInterfaces, GetCapabilities, GetProfiles,
GetStreamUri) with WS-Security UsernameToken digest or HTTP digest checking,
the vendor endpoints the audit reads (Hikvision ISAPI deviceInfo, Dahua
magicBox), and a WS-Discovery responder on UDP (unicast probes).

Profiles shape what it says (the strings are synthetic test data):
  hikvision   label HIKVISION, Hikvision OUI, ISAPI in Hikvision's namespace
  whitelabel  label "Acme Vision", but Hikvision OUI and ISAPI underneath
  axis        label AXIS, Axis OUI, no vendor endpoints
  dahua       no ONVIF (404), Dahua magicBox answer underneath
  mute        answers nothing useful (500 / 404, generic Server header)
  huge        SOAP replies of 2 MiB             (hostile)
  deep        SOAP replies nested 100000 deep   (hostile)
  laughs      billion-laughs entity expansion   (hostile)
  malformed   truncated, unbalanced XML         (hostile)
  strings     valid XML, hostile strings (control/bidi characters, 20 kB names)
  silent      accepts connections, never answers (timeouts)

Exposure settings (read by the audit's exposure checks, docs/design/audit.md):
  Hikvision ISAPI /ISAPI/System/Network/EZVIZ and /UPnP (<enabled>), /ISAPI/Security/users
  (userLevel of each user); Dahua configManager.cgi getConfig T2UServer and UPnP
  (table.X.Enable=), userManager.cgi getUserInfo (user.Group=); ONVIF GetNTP and GetDNS.
  Profile defaults: whitelabel has EZVIZ on (and a firmware build inside CVE-2021-36260's
  range), dahua has P2P on; --ezviz/--p2p/--upnp on|off override, --ntp/--dns give the
  servers (comma list of addresses or names), --open answers ONVIF and the vendor info
  endpoints without credentials.

Events service (motion, docs/design/motion.md "ONVIF motion events"): GetCapabilities and
GetServices name it, CreatePullPointSubscription / PullMessages (long poll, answered as soon
as a notification is queued) / Renew / Unsubscribe work on numbered subscriptions, and the
test drives it over a control endpoint (no credentials, loopback only):
  GET /control/motion?state=on|off[&topic=cell|alarm]  queue a tns1:RuleEngine/CellMotionDetector/Motion
                                                        (IsMotion) or tns1:VideoSource/MotionAlarm (State)
                                                        notification, UtcTime now on the device clock, to
                                                        every live subscription; answers {"utc": T, "queued": N}
  GET /control/status                                  {"subscriptions": N, "created": N, "pulls": N,
                                                        "renewed": N, "unsubscribed": N, "refused": N,
                                                        "expired": N}
A new subscription first gets the current state (PropertyOperation="Initialized"). A
subscription lives what was asked, at most --max-termination seconds, unless renewed; an
expired one is gone (its calls get a ResourceUnknown fault, counted as "expired").

Prints "ready HTTP_PORT UDP_PORT" on stdout once listening; --log FILE gets
one "METHOD PATH" line per HTTP request, so tests can check the audit only
reads.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROFILES = {
    "hikvision": dict(manufacturer="HIKVISION", model="DS-2CD2143G2-I", firmware="V5.7.3 build 220112",
                      serial="DS-2CD2143G2-I20220101AAWRJ00000001", hw="88", mac="44:47:cc:12:34:56",
                      server="webserver", isapi=True, magicbox=False, realm="Login to camera"),
    "whitelabel": dict(manufacturer="Acme Vision", model="AV-400", firmware="V5.5.0 build 190708",
                       serial="AV4000001", hw="88", mac="58:03:fb:ab:cd:ef", server="Acme httpd",
                       isapi=True, magicbox=False, realm="Acme", ezviz=True),
    "axis": dict(manufacturer="AXIS", model="P3245-LV", firmware="10.12.114", serial="ACCC8E000001",
                 hw="7A1", mac="b8:a4:4f:00:11:22", server="Apache", isapi=False, magicbox=False, realm="AXIS"),
    "dahua": dict(onvif=False, server="httpd", isapi=False, magicbox=True, realm="Login", p2p=True),
    "mute": dict(onvif=False, server="httpd", isapi=False, magicbox=False, realm=""),
    "silent": dict(silent=True),
}
HOSTILE = ("huge", "deep", "laughs", "malformed", "strings")

ENV = ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
       'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
       'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" '
       'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:wsa="http://www.w3.org/2005/08/addressing">'
       '<s:Body>%s</s:Body></s:Envelope>')
FAULT = ('<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value>'
         '</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">Sender not authorized</s:Text></s:Reason></s:Fault>')


def wsse_digest(nonce_b64, created, password):
    raw = base64.b64decode(nonce_b64)
    return base64.b64encode(hashlib.sha1(raw + created.encode() + password.encode()).digest()).decode()


def local(tag):
    return tag.rsplit("}", 1)[-1]


class Device:
    def __init__(self, args):
        self.args = args
        self.profile = args.profile
        self.p = PROFILES.get(args.profile, {})
        self.nonces = set()
        self.log = open(args.log, "a") if args.log else None
        self.lock = threading.Lock()
        self.http_port = 0
        # events: subscription id -> list of queued notification XML strings
        self.ev = threading.Condition()
        self.subs = {}
        self.sub_seq = 0
        self.motion = {"cell": False, "alarm": False}
        self.expiry = {}
        self.counts = dict(created=0, pulls=0, renewed=0, unsubscribed=0, refused=0, expired=0)

    def flag(self, name):
        v = getattr(self.args, name)
        return self.p.get(name, False) if v is None else v == "on"

    def servers(self, kind):
        items = [x for x in (getattr(self.args, kind) or "192.168.1.1").split(",") if x]
        out = ""
        for x in items:
            if re.match(r"^[0-9.]+$", x):
                out += "<tt:Type>IPv4</tt:Type><tt:IPv4Address>%s</tt:IPv4Address>" % x
            elif ":" in x:
                out += "<tt:Type>IPv6</tt:Type><tt:IPv6Address>%s</tt:IPv6Address>" % x
            else:
                out += "<tt:Type>DNS</tt:Type><tt:DNSname>%s</tt:DNSname>" % x
        return out

    def record(self, method, path):
        if self.log:
            with self.lock:
                self.log.write("%s %s\n" % (method, path))
                self.log.flush()

    # ---- SOAP ----
    def check_wsse(self, root):
        tok = None
        for el in root.iter():
            if local(el.tag) == "UsernameToken":
                tok = el
        if tok is None:
            return False
        f = {local(e.tag): (e.text or "") for e in tok}
        if f.get("Username") != self.args.user:
            return False
        try:
            want = wsse_digest(f.get("Nonce", ""), f.get("Created", ""), self.args.password)
        except Exception:
            return False
        return want == f.get("Password")

    # ---- events ----
    def now_device(self):
        return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=self.args.clock_offset)

    @staticmethod
    def xsd(t):
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)

    def notification(self, topic, on, op="Changed"):
        t = self.xsd(self.now_device())
        if topic == "cell":
            return ('<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/'
                    'ConcreteSet">tns1:RuleEngine/CellMotionDetector/Motion</wsnt:Topic><wsnt:Message>'
                    '<tt:Message UtcTime="%s" PropertyOperation="%s"><tt:Source>'
                    '<tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VSC_1"/>'
                    '<tt:SimpleItem Name="Rule" Value="MyMotionDetectorRule"/></tt:Source><tt:Data>'
                    '<tt:SimpleItem Name="IsMotion" Value="%s"/></tt:Data></tt:Message></wsnt:Message>'
                    '</wsnt:NotificationMessage>' % (t, op, "true" if on else "false"))
        return ('<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/'
                'ConcreteSet">tns1:VideoSource/MotionAlarm</wsnt:Topic><wsnt:Message>'
                '<tt:Message UtcTime="%s" PropertyOperation="%s"><tt:Source>'
                '<tt:SimpleItem Name="Source" Value="VideoSource_1"/></tt:Source><tt:Data>'
                '<tt:SimpleItem Name="State" Value="%s"/></tt:Data></tt:Message></wsnt:Message>'
                '</wsnt:NotificationMessage>' % (t, op, "true" if on else "false"))

    def control_motion(self, topic, on):
        with self.ev:
            self.motion[topic] = on
            msg = self.notification(topic, on)
            for q in self.subs.values():
                q.append(msg)
            self.ev.notify_all()
            return {"utc": self.xsd(self.now_device()), "queued": len(self.subs)}

    def status(self):
        with self.ev:
            d = dict(self.counts)
            d["subscriptions"] = len(self.subs)
            return d

    def granted(self, root, tag):
        """Seconds of life for a subscription: what was asked (PTnS), at most --max-termination."""
        asked = "".join(e.text or "" for e in root.iter() if local(e.tag) == tag)
        m = re.match(r"^PT(\d+)S$", asked.strip())
        return min(int(m.group(1)) if m else 60, self.args.max_termination)

    def sub_id(self, path):
        m = re.match(r"^/onvif/events/sub/(\d+)$", path)
        return int(m.group(1)) if m else None

    def events_op(self, op, root, path):
        """The Events service; None if op is not one of its calls, else (code, body xml or fault)."""
        tnow = self.xsd(self.now_device())
        if op == "CreatePullPointSubscription":
            with self.ev:
                self.sub_seq += 1
                sid = self.sub_seq
                self.subs[sid] = [self.notification(k, v, "Initialized") for k, v in sorted(self.motion.items())
                                  if k == "cell" or v]
                self.expiry[sid] = time.time() + self.granted(root, "InitialTerminationTime")
                self.counts["created"] += 1
                tterm = self.xsd(self.now_device() + datetime.timedelta(seconds=self.expiry[sid] - time.time()))
            return 200, ('<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa:Address>'
                         'http://10.9.9.9:%d/onvif/events/sub/%d</wsa:Address></tev:SubscriptionReference>'
                         '<wsnt:CurrentTime>%s</wsnt:CurrentTime><wsnt:TerminationTime>%s</wsnt:TerminationTime>'
                         '</tev:CreatePullPointSubscriptionResponse>' % (self.http_port, sid, tnow, tterm))
        if op not in ("PullMessages", "Renew", "Unsubscribe"):
            return None
        sid = self.sub_id(path)
        with self.ev:
            if sid in self.subs and time.time() > self.expiry.get(sid, 0):
                del self.subs[sid]  # not renewed in time: gone, as on a camera
                self.counts["expired"] += 1
            if sid not in self.subs:
                self.counts["refused"] += 1
                return 400, ('<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>'
                             'wsrf-rw:ResourceUnknownFault</s:Value></s:Subcode></s:Code></s:Fault>')
            if op == "Unsubscribe":
                del self.subs[sid]
                self.counts["unsubscribed"] += 1
                return 200, '<wsnt:UnsubscribeResponse/>'
            if op == "Renew":
                self.counts["renewed"] += 1
                self.expiry[sid] = time.time() + self.granted(root, "TerminationTime")
                tterm = self.xsd(self.now_device() + datetime.timedelta(seconds=self.expiry[sid] - time.time()))
                return 200, ('<wsnt:RenewResponse><wsnt:TerminationTime>%s</wsnt:TerminationTime><wsnt:CurrentTime>'
                             '%s</wsnt:CurrentTime></wsnt:RenewResponse>' % (tterm, tnow))
            self.counts["pulls"] += 1
            tm = "".join(e.text or "" for e in root.iter() if local(e.tag) == "Timeout")
            m = re.match(r"^PT(\d+)S$", tm.strip())
            wait = min(int(m.group(1)) if m else 5, 10)
            deadline = time.time() + wait
            while sid in self.subs and not self.subs[sid] and time.time() < deadline:
                self.ev.wait(deadline - time.time())
            msgs = self.subs.get(sid, [])
            if sid in self.subs:
                self.subs[sid] = []
            tnow = self.xsd(self.now_device())
            tterm = self.xsd(self.now_device() + datetime.timedelta(seconds=self.expiry.get(sid, 0) - time.time()))
            return 200, ('<tev:PullMessagesResponse><tev:CurrentTime>%s</tev:CurrentTime><tev:TerminationTime>%s'
                         '</tev:TerminationTime>%s</tev:PullMessagesResponse>' % (tnow, tterm, "".join(msgs)))

    def soap_body(self, op, root):
        p = self.p
        if op == "GetSystemDateAndTime":
            t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=self.args.clock_offset)
            return ('<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>'
                    '<tt:UTCDateTime><tt:Time><tt:Hour>%d</tt:Hour><tt:Minute>%d</tt:Minute><tt:Second>%d</tt:Second>'
                    '</tt:Time><tt:Date><tt:Year>%d</tt:Year><tt:Month>%d</tt:Month><tt:Day>%d</tt:Day></tt:Date>'
                    '</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
                    % (t.hour, t.minute, t.second, t.year, t.month, t.day))
        if op == "GetDeviceInformation":
            return ('<tds:GetDeviceInformationResponse><tds:Manufacturer>%s</tds:Manufacturer><tds:Model>%s</tds:Model>'
                    '<tds:FirmwareVersion>%s</tds:FirmwareVersion><tds:SerialNumber>%s</tds:SerialNumber>'
                    '<tds:HardwareId>%s</tds:HardwareId></tds:GetDeviceInformationResponse>'
                    % (p["manufacturer"], p["model"], p["firmware"], p["serial"], p["hw"]))
        if op == "GetNetworkInterfaces":
            return ('<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>'
                    '<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>%s</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info>'
                    '</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>' % p["mac"])
        if op == "GetNTP":
            return ('<tds:GetNTPResponse><tds:NTPInformation><tt:FromDHCP>false</tt:FromDHCP><tt:NTPManual>%s'
                    '</tt:NTPManual></tds:NTPInformation></tds:GetNTPResponse>' % self.servers("ntp"))
        if op == "GetDNS":
            return ('<tds:GetDNSResponse><tds:DNSInformation><tt:FromDHCP>false</tt:FromDHCP><tt:DNSManual>%s'
                    '</tt:DNSManual></tds:DNSInformation></tds:GetDNSResponse>' % self.servers("dns"))
        if op == "GetCapabilities":
            return ('<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Events><tt:XAddr>http://10.9.9.9:%d/onvif/'
                    'Events</tt:XAddr><tt:WSPullPointSupport>true</tt:WSPullPointSupport></tt:Events><tt:Media>'
                    '<tt:XAddr>http://10.9.9.9:%d/onvif/Media</tt:XAddr></tt:Media></tds:Capabilities>'
                    '</tds:GetCapabilitiesResponse>' % (self.http_port, self.http_port))
        if op == "GetServices":
            return ('<tds:GetServicesResponse><tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl'
                    '</tds:Namespace><tds:XAddr>http://10.9.9.9:%d/onvif/device_service</tds:XAddr></tds:Service>'
                    '<tds:Service><tds:Namespace>http://www.onvif.org/ver10/events/wsdl</tds:Namespace><tds:XAddr>'
                    'http://10.9.9.9:%d/onvif/Events</tds:XAddr></tds:Service></tds:GetServicesResponse>'
                    % (self.http_port, self.http_port))
        if op == "GetProfiles":
            return ('<trt:GetProfilesResponse><trt:Profiles token="Profile_1" fixed="true"><tt:Name>main</tt:Name>'
                    '</trt:Profiles><trt:Profiles token="Profile_2"><tt:Name>sub</tt:Name></trt:Profiles>'
                    '</trt:GetProfilesResponse>')
        if op == "GetStreamUri":
            tok = "".join(e.text or "" for e in root.iter() if local(e.tag) == "ProfileToken")
            ch = "101" if tok == "Profile_1" else "102"
            return ('<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://127.0.0.1:554/Streaming/Channels/%s</tt:Uri>'
                    '<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect></trt:MediaUri></trt:GetStreamUriResponse>'
                    % ch)
        return None

    def hostile(self, op):
        kind = self.profile
        if kind == "huge":
            pad = "<tt:Pad>" + "A" * 1024 + "</tt:Pad>"
            return 200, (ENV % ("<tds:%sResponse>%s</tds:%sResponse>" % (op, pad * 2048, op))).encode()
        if kind == "deep":
            n = 100000
            return 200, (ENV % ("<a>" * n + "HIKVISION" + "</a>" * n)).encode()
        if kind == "laughs":
            ents = '<!ENTITY lol "lol">' + "".join(
                '<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10) for i in range(1, 10))
            doc = ('<?xml version="1.0"?><!DOCTYPE s:Envelope [%s]>' % ents +
                   '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
                   '<GetDeviceInformationResponse><Manufacturer>&lol9;</Manufacturer><Model>x</Model>'
                   '</GetDeviceInformationResponse></s:Body></s:Envelope>')
            return 200, doc.encode()
        if kind == "malformed":
            return 200, b'<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>' \
                        b'<GetDeviceInformationResponse><Manufacturer>HIKVISION</Model></s:Body>'
        if kind == "strings":
            if op != "GetDeviceInformation":
                return 500, b"no"
            evil = "=Evil\u202e\u0007\"<>'&amp;" + "X" * 20000
            body = ("<tds:GetDeviceInformationResponse><tds:Manufacturer>%s</tds:Manufacturer>"
                    "<tds:Model>=cmd|' /C calc'!A0</tds:Model><tds:FirmwareVersion>\u00e9\u4e2d</tds:FirmwareVersion>"
                    "</tds:GetDeviceInformationResponse>" % escape(evil.replace("\u0007", "")))
            return 200, (ENV % body).encode("utf-8")
        return 500, b""

    def soap(self, handler, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            if self.args.auth == "digest" and self.args.user and not self.check_digest(handler, "POST"):
                return None, None  # an empty probe for credentials: 401 sent
            return 400, b"bad request"
        b = [e for e in root.iter() if local(e.tag) == "Body"]
        kids = list(b[0]) if b else []
        if not kids:
            return 400, b"no body"
        op = local(kids[0].tag)
        if self.profile in HOSTILE:
            return self.hostile(op)
        if not self.p.get("onvif", True):
            return 500, b"internal error"
        if op != "GetSystemDateAndTime" and self.args.user and not (self.args.open and op == "GetDeviceInformation"):
            if self.args.auth == "wsse" and not self.check_wsse(root):
                return 400, (ENV % FAULT).encode()
            if self.args.auth == "digest" and not self.check_digest(handler, "POST"):
                return None, None  # 401 sent
        ev = self.events_op(op, root, handler.path)
        if ev is not None:
            return ev[0], (ENV % ev[1]).encode()
        resp = self.soap_body(op, root)
        if resp is None:
            return 400, (ENV % '<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault>').encode()
        return 200, (ENV % resp).encode()

    # ---- HTTP digest (RFC 2617, MD5, qop=auth) ----
    def check_digest(self, handler, method):
        realm = self.p.get("realm") or "device"
        h = handler.headers.get("Authorization", "")
        if h.startswith("Digest "):
            f = dict(re.findall(r'(\w+)="?([^",]*)"?', h[7:]))
            if f.get("username") == self.args.user and f.get("nonce") in self.nonces:
                ha1 = hashlib.md5(("%s:%s:%s" % (self.args.user, realm, self.args.password)).encode()).hexdigest()
                ha2 = hashlib.md5(("%s:%s" % (method, f.get("uri", ""))).encode()).hexdigest()
                want = hashlib.md5(("%s:%s:%s:%s:%s:%s" % (ha1, f["nonce"], f.get("nc", ""), f.get("cnonce", ""),
                                                           f.get("qop", ""), ha2)).encode()).hexdigest()
                if want == f.get("response"):
                    return True
        nonce = base64.b64encode(os.urandom(12)).decode()
        self.nonces.add(nonce)
        handler.send_response(401)
        handler.send_header("WWW-Authenticate", 'Digest realm="%s", qop="auth", nonce="%s", algorithm=MD5' % (realm, nonce))
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return False


def make_handler(dev):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self):
            return dev.p.get("server", "httpd")

        def log_message(self, *a):
            pass

        def reply(self, code, body, ctype="application/soap+xml; charset=utf-8"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up on a hostile reply: expected

        def do_POST(self):
            dev.record("POST", self.path)
            if dev.p.get("silent"):
                time.sleep(60)
                return
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            if not self.path.startswith("/onvif/"):
                return self.reply(404, b"not found", "text/plain")
            code, out = dev.soap(self, body)
            if code is not None:
                self.reply(code, out)

        def do_GET(self):
            dev.record("GET", self.path)
            if dev.p.get("silent"):
                time.sleep(60)
                return
            p = dev.p
            if self.path.startswith("/control/"):
                from urllib.parse import urlparse, parse_qs
                u = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(u.query).items()}
                if u.path == "/control/motion" and q.get("state") in ("on", "off"):
                    out = dev.control_motion("alarm" if q.get("topic") == "alarm" else "cell", q["state"] == "on")
                elif u.path == "/control/status":
                    out = dev.status()
                else:
                    return self.reply(404, b"not found", "text/plain")
                return self.reply(200, json.dumps(out).encode(), "application/json")
            if self.path == "/":
                if p.get("realm") and dev.args.user:
                    if not dev.check_digest(self, "GET"):
                        return
                return self.reply(200, b"<html>login</html>", "text/html")
            hik_ns = 'version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"'
            if self.path in ("/ISAPI/System/Network/EZVIZ", "/ISAPI/System/Network/UPnP") and p.get("isapi"):
                if dev.args.user and not dev.check_digest(self, "GET"):
                    return
                tag = self.path.rsplit("/", 1)[1]
                on = dev.flag("ezviz" if tag == "EZVIZ" else "upnp")
                body = '<?xml version="1.0" encoding="UTF-8"?><%s %s><enabled>%s</enabled></%s>' % (
                    tag, hik_ns, "true" if on else "false", tag)
                return self.reply(200, body.encode(), "application/xml")
            if self.path == "/ISAPI/Security/users" and p.get("isapi"):
                if dev.args.user and not dev.check_digest(self, "GET"):
                    return
                body = ('<?xml version="1.0" encoding="UTF-8"?><UserList %s><User><id>1</id><userName>%s</userName>'
                        '<userLevel>Administrator</userLevel></User><User><id>2</id><userName>viewer</userName>'
                        '<userLevel>Viewer</userLevel></User></UserList>' % (hik_ns, escape(dev.args.user or "admin")))
                return self.reply(200, body.encode(), "application/xml")
            if self.path.startswith("/cgi-bin/configManager.cgi?action=getConfig&name=") and p.get("magicbox"):
                if dev.args.user and not dev.check_digest(self, "GET"):
                    return
                name = self.path.rsplit("=", 1)[1]
                if name not in ("T2UServer", "UPnP"):
                    return self.reply(400, b"Error\r\nBad Request!\r\n", "text/plain")
                on = dev.flag("p2p" if name == "T2UServer" else "upnp")
                return self.reply(200, ("table.%s.Enable=%s\r\n" % (name, "true" if on else "false")).encode(),
                                  "text/plain")
            if self.path.startswith("/cgi-bin/userManager.cgi?action=getUserInfo&name=") and p.get("magicbox"):
                if dev.args.user and not dev.check_digest(self, "GET"):
                    return
                name = self.path.rsplit("=", 1)[1]
                return self.reply(200, ("user.Group=admin\r\nuser.Id=1\r\nuser.Name=%s\r\n" % name).encode(),
                                  "text/plain")
            if self.path == "/ISAPI/System/deviceInfo" and p.get("isapi"):
                if dev.args.user and not dev.args.open and not dev.check_digest(self, "GET"):
                    return
                body = ('<?xml version="1.0" encoding="UTF-8"?><DeviceInfo version="2.0" '
                        'xmlns="http://www.hikvision.com/ver20/XMLSchema"><deviceName>%s</deviceName>'
                        '<model>%s</model><firmwareVersion>%s</firmwareVersion></DeviceInfo>'
                        % (p.get("manufacturer", "IP CAMERA"), p.get("model", ""), p.get("firmware", "")))
                return self.reply(200, body.encode(), "application/xml")
            if self.path == "/cgi-bin/magicBox.cgi?action=getSystemInfo" and p.get("magicbox"):
                if dev.args.user and not dev.args.open and not dev.check_digest(self, "GET"):
                    return
                return self.reply(200, b"deviceType=IPC-HDW1230S\r\nhardwareVersion=1.00\r\nserialNumber=4F0000000\r\n",
                                  "text/plain")
            self.reply(404, b"not found", "text/plain")
    return H


def discovery(dev, sock):
    while True:
        data, addr = sock.recvfrom(65536)
        try:
            root = ET.fromstring(data)
        except ET.ParseError:
            continue
        mid = "".join(e.text or "" for e in root.iter() if local(e.tag) == "MessageID")
        if not any(local(e.tag) == "Probe" for e in root.iter()):
            continue
        name = dev.p.get("manufacturer", "camera").replace(" ", "%20")
        resp = ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
                'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
                'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
                'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header>'
                '<a:MessageID>uuid:11111111-2222-4333-8444-555555555555</a:MessageID><a:RelatesTo>%s</a:RelatesTo>'
                '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header><s:Body>'
                '<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:fake-%s</a:Address>'
                '</a:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types>'
                '<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/%s '
                'onvif://www.onvif.org/hardware/%s</d:Scopes>'
                '<d:XAddrs>http://127.0.0.1:%d/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>'
                '</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>'
                % (mid, dev.profile, name, dev.p.get("model", "x"), dev.http_port))
        sock.sendto(resp.encode(), addr)
        # a stray answer to someone else's probe must be ignored by the client
        sock.sendto(resp.replace(mid, "uuid:not-yours").encode(), addr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", required=True, choices=sorted(list(PROFILES) + list(HOSTILE)))
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user")
    ap.add_argument("--password", default="")
    ap.add_argument("--auth", choices=("wsse", "digest"), default="wsse")
    ap.add_argument("--clock-offset", type=float, default=0, help="seconds the device clock is ahead")
    ap.add_argument("--log")
    for f in ("ezviz", "p2p", "upnp"):
        ap.add_argument("--" + f, choices=("on", "off"))
    ap.add_argument("--ntp", help="comma list of NTP servers (default 192.168.1.1)")
    ap.add_argument("--dns", help="comma list of DNS servers (default 192.168.1.1)")
    ap.add_argument("--open", action="store_true", help="answer device information without credentials")
    ap.add_argument("--max-termination", type=int, default=60,
                    help="longest subscription lifetime granted (seconds); one not renewed in time is gone")
    args = ap.parse_args()
    dev = Device(args)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(dev))
    srv.daemon_threads = True
    srv.handle_error = lambda *a: None
    dev.http_port = srv.server_address[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    threading.Thread(target=discovery, args=(dev, udp), daemon=True).start()
    print("ready %d %d" % (dev.http_port, udp.getsockname()[1]), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
