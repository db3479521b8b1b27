#!/usr/bin/python3
r"""faultsmtp.py: a scripted SMTP server over real TCP, for the faults no
real server produces on demand (drops, stalls, malformed or out-of-sync
replies, plaintext injected after STARTTLS's 220...). Real behaviour is
tested against smtpd.py; this is only for faults.

Usage: faultsmtp.py --script FILE [--host ADDR] [--port N] [--port-file F]
           [--transcript F] [--pid-file F] [--log F] [--cert PEM --key PEM]
           [--implicit-tls] [--hostname NAME] [--idle-timeout SECONDS]

It accepts any number of connections (numbered 1, 2, ... in accept order,
each served in its own thread) and speaks enough SMTP to bring a client to
the stage under test; the script only says where to differ.

Script format: one rule per line, `#` starts a comment line, blank lines are
ignored.
    [all]              rules below apply to every connection (the default)
    [conn N]           rules below apply to connection N only; also
    [conn N-M], [conn N-]   ranges of connections
    STAGE ACTION [ARG]
Consecutive lines with the same STAGE in one section form a list of actions,
run in order; a stage that has rules does ONLY what they say (use `default`
to include the normal behaviour). The most specific rule wins: [conn] with
#n, then [conn], then [all] with #n, then [all].

STAGE is when the actions run:
    greeting           on connect (default: 220 greeting)
    ehlo helo starttls mail rcpt data rset quit noop vrfy ...
                       on that command (any verb, lower case; unknown
                       verbs default to 502)
    empty              on an empty command line (default: 500)
    auth               on AUTH; the default runs the PLAIN/LOGIN exchange
                       (any credentials pass) and then stage auth-final
    auth-final         after the credentials (default: 235)
    dot                after the end of the message data (default: 250)
  STAGE#n              only the n-th occurrence of that stage in the
                       connection, e.g. rcpt#2 is the second RCPT command
                       of the connection (counted over all transactions).
After the actions of `data`, the server reads message data (until a line
".") if and only if what it sent in that stage began with "354".

ACTION:
    reply TEXT         send TEXT + CRLF. TEXT takes C escapes (\r \n \t \\
                       \xHH), so "reply 250-a\r\n250 b" is a multi-line
                       reply; several `reply` lines do the same
    raw TEXT           send exactly TEXT (escapes decoded, no CRLF added)
    longreply CODE N   send "CODE " + N times "x" + CRLF (over-long line)
    default            what the server would do without rules
    silent             send nothing (same as an empty list)
    stall SECONDS      wait (a float), still recording what the client
                       sends; `stall forever` waits until the client
                       closes. The next action runs afterwards.
    drop               close the connection (FIN)
    reset              abort the connection (RST)
    tls                TLS handshake now, as server, with --cert/--key
                       (STARTTLS default: "reply 220 ..." then "tls").
                       Plaintext the client pipelined before is discarded.
What one stage sends goes out in a single write (as a real server's
pipelined replies do), except that stall, drop, reset, tls and reading the
AUTH exchange first send what is queued.
Example: connection 1 drops after the data, connection 2 accepts; every
STARTTLS reply is followed by injected plaintext:
    [all]
    starttls reply 220 2.0.0 go ahead
    starttls raw 250 injected\r\n
    starttls tls
    [conn 1]
    dot drop

Transcript (--transcript FILE): every line the client sent, in order, one
per line, CRLF removed; after TLS the decrypted lines. A line that ended in
a bare LF gets "<LF>" appended, a last line without LF "<no EOL>"; other
control bytes (but tab) show as <XX> in hex. Events are lines starting with
"#conn N ": open ADDR:PORT, tls VERSION, tls-failed REASON, discarded N
bytes, close. The exact bytes of connection N are in FILE.N.raw.
"""

import argparse
import codecs
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time

STAGE_OF_VERB = {"": "empty"}
# Stages that are not commands: a client sending "DOT" is an unknown verb.
INTERNAL_STAGES = {"greeting", "dot", "auth-final", "unknown"}
DEFAULT_HOST = "fault.test"


class ScriptError(Exception):
    pass


class Closed(Exception):
    """The client closed or we dropped: the session is over."""


def unescape(text):
    try:
        return codecs.escape_decode(text.encode("latin-1"))[0]
    except (ValueError, UnicodeEncodeError) as e:
        raise ScriptError("bad escape in %r: %s" % (text, e))


class Script:
    ACTIONS = {"reply", "raw", "longreply", "default", "silent", "stall",
               "drop", "reset", "tls"}

    def __init__(self, path):
        # (section, stage, occurrence) -> [actions]; section 0 is [all].
        self.rules = {}
        self.sections = [None]          # section -> (lo, hi) or None
        sec = 0
        with open(path, "rb") as f:
            lines = f.read().decode("latin-1").splitlines()
        for no, line in enumerate(lines, 1):
            try:
                sec = self._line(line, sec)
            except ScriptError as e:
                raise ScriptError("%s:%d: %s" % (path, no, e))

    def _line(self, line, sec):
        s = line.strip()
        if not s or s.startswith("#"):
            return sec
        if s.startswith("["):
            m = re.match(r"^\[(all|conn (\d+)(-(\d*))?)\]$", s)
            if not m:
                raise ScriptError("bad section %r" % s)
            if m.group(1) == "all":
                self.sections.append(None)
            else:
                lo = int(m.group(2))
                hi = lo
                if m.group(3):
                    hi = int(m.group(4)) if m.group(4) else None
                self.sections.append((lo, hi))
            return len(self.sections) - 1
        parts = line.lstrip().split(" ", 2)
        if len(parts) < 2:
            raise ScriptError("want STAGE ACTION [ARG]: %r" % line)
        stage, action = parts[0].lower(), parts[1].lower()
        arg = parts[2] if len(parts) > 2 else ""
        m = re.match(r"^([a-z0-9-]+)(#(\d+))?$", stage)
        if not m:
            raise ScriptError("bad stage %r" % stage)
        occ = int(m.group(3)) if m.group(3) else None
        if action not in self.ACTIONS:
            raise ScriptError("unknown action %r" % action)
        if action in ("reply", "raw"):
            act = (action, unescape(arg))
        elif action == "longreply":
            a = arg.split()
            if len(a) != 2 or not a[1].isdigit():
                raise ScriptError("longreply wants CODE N")
            act = (action, a[0].encode() + b" " + b"x" * int(a[1]) + b"\r\n")
        elif action == "stall":
            if arg.strip() == "forever":
                act = (action, None)
            else:
                try:
                    act = (action, float(arg))
                except ValueError:
                    raise ScriptError("stall wants SECONDS or forever")
        else:
            if arg.strip():
                raise ScriptError("%s takes no argument" % action)
            act = (action,)
        self.rules.setdefault((sec, m.group(1), occ), []).append(act)
        return sec

    def lookup(self, conn, stage, occ):
        best = None
        for (sec, st, o), acts in self.rules.items():
            if st != stage or (o is not None and o != occ):
                continue
            rng = self.sections[sec]
            if rng is not None:
                lo, hi = rng
                if conn < lo or (hi is not None and conn > hi):
                    continue
            prio = (rng is not None, o is not None, sec)
            if best is None or prio > best[0]:
                best = (prio, acts)
        return best[1] if best else None


class Recorder:
    """The transcript file shared by all connections, and per-connection
    raw files."""

    lock = threading.Lock()

    def __init__(self, path):
        self.path = path

    def event(self, n, text):
        self.write("#conn %d %s\n" % (n, text))

    def write(self, text):
        if not self.path:
            return
        with self.lock, open(self.path, "a", encoding="utf-8",
                             errors="backslashreplace") as f:
            f.write(text)

    def raw(self, n, data):
        if not self.path:
            return
        with open("%s.%d.raw" % (self.path, n), "ab") as f:
            f.write(data)

    @staticmethod
    def show(line):
        tail = ""
        if line.endswith(b"\r\n"):
            line = line[:-2]
        elif line.endswith(b"\n"):
            line, tail = line[:-1], "<LF>"
        else:
            tail = "<no EOL>"
        text = line.decode("utf-8", "backslashreplace")
        text = re.sub(r"[\x00-\x08\x0a-\x1f\x7f]",
                      lambda m: "<%02X>" % ord(m.group(0)), text)
        return text + tail + "\n"


class Session:
    def __init__(self, srv, sock, n, peer):
        self.srv = srv
        self.sock = sock
        self.n = n
        self.peer = peer
        self.buf = bytearray()      # received, not yet processed
        self.tline = bytearray()    # received, not yet in the transcript
        self.tls = False
        self.count = {}
        self.msgs = 0
        self.sent_354 = False
        self.out = bytearray()      # replies not yet written
        self.rec = srv.rec

    # --- input -------------------------------------------------------------
    def recv_more(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise
        except (OSError, ssl.SSLError) as e:
            raise Closed("recv: %s" % e)
        if not data:
            raise Closed("client closed")
        self.rec.raw(self.n, data)
        self.tline += data
        while True:
            i = self.tline.find(b"\n")
            if i < 0:
                break
            self.rec.write(Recorder.show(bytes(self.tline[:i + 1])))
            del self.tline[:i + 1]
        self.buf += data

    def readline(self):
        self.flush()
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            try:
                self.recv_more(self.srv.idle)
            except socket.timeout:
                raise Closed("idle timeout")

    # --- output ------------------------------------------------------------
    def send(self, data):
        """Queues DATA; like a real server, what one stage says goes out
        in one write (flush) unless the script stalls or reads between."""
        if data.startswith(b"354"):
            self.sent_354 = True
        self.out += data

    def flush(self):
        if not self.out:
            return
        data = bytes(self.out)
        self.out.clear()
        self.srv.log("conn %d S: %r" % (self.n, data))
        try:
            self.sock.settimeout(self.srv.idle)
            self.sock.sendall(data)
        except (OSError, ssl.SSLError) as e:
            raise Closed("send: %s" % e)

    def reply(self, text):
        self.send(text.encode("utf-8") + b"\r\n")

    # --- script ------------------------------------------------------------
    def stage(self, stage, arg=b""):
        occ = self.count.get(stage, 0) + 1
        self.count[stage] = occ
        acts = self.srv.script.lookup(self.n, stage, occ)
        if acts is None:
            acts = [("default",)]
        for act in acts:
            self.act(act, stage, arg)
        self.flush()

    def act(self, act, stage, arg):
        kind = act[0]
        if kind in ("stall", "drop", "reset", "tls"):
            self.flush()
        if kind in ("reply", "raw", "longreply"):
            data = act[1]
            if kind == "reply":
                data += b"\r\n"
            self.send(data)
        elif kind == "default":
            getattr(self, "do_" + stage.replace("-", "_"),
                    self.do_unknown)(arg)
        elif kind == "stall":
            self.stall(act[1])
        elif kind == "drop":
            self.close()
            raise Closed("dropped by script")
        elif kind == "reset":
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.sock.close()
            raise Closed("reset by script")
        elif kind == "tls":
            self.start_tls()
        # silent: nothing

    def stall(self, secs):
        end = None if secs is None else time.monotonic() + secs
        while True:
            left = 3600.0 if end is None else end - time.monotonic()
            if left <= 0:
                return
            try:
                self.recv_more(min(left, 3600.0))
            except socket.timeout:
                pass

    def start_tls(self):
        self.flush()
        if self.srv.tls_ctx is None:
            self.rec.event(self.n, "tls-failed no --cert/--key")
            raise Closed("tls without certificate")
        if self.buf:
            self.rec.event(self.n, "discarded %d bytes" % len(self.buf))
            self.buf.clear()
        try:
            self.sock.settimeout(10)
            self.sock = self.srv.tls_ctx.wrap_socket(self.sock,
                                                     server_side=True)
        except (OSError, ssl.SSLError) as e:
            self.rec.event(self.n, "tls-failed %s" % e)
            raise Closed("tls handshake: %s" % e)
        self.tls = True
        self.rec.event(self.n, "tls %s" % self.sock.version())

    def close(self):
        self.flush()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    # --- defaults ----------------------------------------------------------
    def do_greeting(self, arg):
        self.reply("220 %s ESMTP faultsmtp" % self.srv.hostname)

    def do_ehlo(self, arg):
        ext = ["PIPELINING", "SIZE 10240000", "8BITMIME",
               "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8"]
        if self.srv.tls_ctx is not None and not self.tls:
            ext.append("STARTTLS")
        ext.append("AUTH PLAIN LOGIN")
        lines = [self.srv.hostname] + ext
        self.send(b"".join(("250%s%s\r\n" % (
            " " if i == len(lines) - 1 else "-", t)).encode()
            for i, t in enumerate(lines)))

    def do_helo(self, arg):
        self.reply("250 %s" % self.srv.hostname)

    def do_starttls(self, arg):
        if self.srv.tls_ctx is None or self.tls:
            self.reply("454 4.7.0 TLS not available")
            return
        self.reply("220 2.0.0 Ready to start TLS")
        self.start_tls()

    def do_auth(self, arg):
        words = arg.split()
        mech = words[1].upper() if len(words) > 1 else b""
        initial = len(words) > 2
        if mech == b"PLAIN":
            if not initial and self.challenge("") is None:
                return
        elif mech == b"LOGIN":
            if not initial and self.challenge("VXNlcm5hbWU6") is None:
                return
            if self.challenge("UGFzc3dvcmQ6") is None:
                return
        else:
            self.reply("504 5.5.4 Unrecognized authentication type")
            return
        self.stage("auth-final")

    def challenge(self, text):
        self.reply("334 " + text)
        if self.readline().strip() == b"*":
            self.reply("501 5.7.0 Authentication cancelled")
            return None
        return True

    def do_auth_final(self, arg):
        self.reply("235 2.7.0 Authentication successful")

    def do_mail(self, arg):
        self.reply("250 2.1.0 Ok")

    def do_rcpt(self, arg):
        self.reply("250 2.1.5 Ok")

    def do_data(self, arg):
        self.reply("354 End data with <CR><LF>.<CR><LF>")

    def do_dot(self, arg):
        self.reply("250 2.0.0 Ok: queued as C%dM%d" % (self.n, self.msgs))

    def do_rset(self, arg):
        self.reply("250 2.0.0 Ok")

    def do_noop(self, arg):
        self.reply("250 2.0.0 Ok")

    def do_quit(self, arg):
        self.reply("221 2.0.0 Bye")
        self.close()
        raise Closed("quit")

    def do_empty(self, arg):
        self.reply("500 5.5.2 Error: bad syntax")

    def do_unknown(self, arg):
        self.reply("502 5.5.2 Error: command not recognized")

    # --- session -----------------------------------------------------------
    def run(self):
        self.rec.event(self.n, "open %s:%d" % self.peer[:2])
        try:
            if self.srv.implicit:
                self.start_tls()
            self.stage("greeting")
            while True:
                line = self.readline()
                cmd = line.rstrip(b"\r\n")
                verb = cmd.split(b" ", 1)[0].decode("latin-1").lower()
                stage = STAGE_OF_VERB.get(verb, verb)
                if (not re.match(r"^[a-z0-9-]+$", stage) or
                        stage in INTERNAL_STAGES):
                    stage = "unknown"
                self.sent_354 = False
                self.stage(stage, cmd)
                if stage == "data" and self.sent_354:
                    self.read_data()
        except Closed as e:
            self.srv.log("conn %d closed: %s" % (self.n, e))
        except Exception as e:      # keep serving other connections
            self.srv.log("conn %d error: %r" % (self.n, e))
        finally:
            if self.tline:
                self.rec.write(Recorder.show(bytes(self.tline)))
            try:
                self.sock.close()
            except OSError:
                pass
            self.rec.event(self.n, "close")

    def read_data(self):
        while True:
            line = self.readline()
            if line in (b".\r\n", b".\n"):
                break
        self.msgs += 1
        self.stage("dot")


class Server:
    def __init__(self, opts):
        self.script = Script(opts.script)
        self.rec = Recorder(opts.transcript)
        self.hostname = opts.hostname
        self.idle = opts.idle_timeout
        self.implicit = opts.implicit_tls
        self.tls_ctx = None
        if opts.cert:
            self.tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_ctx.load_cert_chain(opts.cert, opts.key)
        elif opts.implicit_tls:
            raise ScriptError("--implicit-tls needs --cert and --key")
        self.logf = open(opts.log, "a") if opts.log else None
        self.loglock = threading.Lock()

    def log(self, text):
        if self.logf:
            with self.loglock:
                self.logf.write("%.3f %s\n" % (time.time(), text))
                self.logf.flush()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="faultsmtp.py", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--pid-file")
    p.add_argument("--script", required=True)
    p.add_argument("--transcript")
    p.add_argument("--log")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--hostname", default=DEFAULT_HOST)
    p.add_argument("--idle-timeout", type=float, default=60)
    return p.parse_args(argv)


def write_atomic(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main(argv):
    opts = parse_args(argv)
    try:
        srv = Server(opts)
    except (ScriptError, OSError, ssl.SSLError) as e:
        sys.stderr.write("faultsmtp.py: %s\n" % e)
        return 2

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if opts.pid_file:
        write_atomic(opts.pid_file, "%d\n" % os.getpid())
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((opts.host, opts.port))
        ls.listen(64)
        port = ls.getsockname()[1]
        srv.log("listening on %s:%d" % (opts.host, port))
        if opts.port_file:
            write_atomic(opts.port_file, "%d\n" % port)
        n = 0
        while True:
            sock, peer = ls.accept()
            n += 1
            sess = Session(srv, sock, n, peer)
            threading.Thread(target=sess.run, daemon=True).start()
    except SystemExit:
        pass
    except OSError as e:
        sys.stderr.write("faultsmtp.py: %s\n" % e)
        return 1
    finally:
        ls.close()
        if opts.pid_file:
            try:
                os.unlink(opts.pid_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
