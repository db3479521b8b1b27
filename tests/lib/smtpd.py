#!/usr/bin/python3
"""A real SMTP server for minimta's end-to-end tests, built on aiosmtpd.

Run with /usr/bin/python3 (Debian's python3-aiosmtpd). It listens on one
address, stores every accepted message in a spool directory and says nothing
on stdout; its log (aiosmtpd's protocol trace and our events) goes to --log.

Options:
  --host ADDR            address to listen on (default 127.0.0.1)
  --port N               port; 0 (default) picks a free one
  --port-file FILE       the port is written here once the server listens
  --pid-file FILE        our pid, written at start-up, removed at exit
  --log FILE             log file (default: stderr, warnings only)
  --spool DIR            messages go to DIR/NNNN.eml (the message bytes as
                         received, dot-unstuffed, CRLF kept, nothing added)
                         and DIR/NNNN.env (JSON, written first, see below);
                         numbering continues after files already there
  --hostname NAME        name in the greeting and EHLO reply (mx.test)
  --starttls CERT KEY    offer STARTTLS with this certificate
  --require-starttls     refuse mail commands before STARTTLS (530)
  --implicit-tls CERT KEY  TLS from the first byte (smtps)
  --tls-max VERSION      the highest TLS version offered: 1.0 or 1.1 make
                         an old server that minimta's TLS 1.2 minimum cannot
                         talk to (Debian's OpenSSL needs SECLEVEL 0 for them)
  --client-ca FILE       ask for a client certificate (optional) and verify
                         it against FILE; its subject is recorded
  --auth USER:PASS       accept this login (repeatable); offers AUTH PLAIN
                         LOGIN (after TLS only, unless --auth-without-tls);
                         without --auth no AUTH is offered
  --auth-require         MAIL/RCPT/DATA need AUTH first (530)
  --auth-without-tls     offer and accept AUTH on a plaintext connection
  --oauth USER:TOKEN     accept this bearer token for USER (repeatable);
                         offers AUTH XOAUTH2 and OAUTHBEARER (RFC 7628),
                         after TLS; each token tried is logged as
                         "oauth MECH user=U token=T host=H port=P: ok|bad"
  --oauth-mechs LIST     the OAuth mechanisms offered (default
                         XOAUTH2,OAUTHBEARER)
  --oauth-fail json|535  a bad token gets (json, the default) a 334 with a
                         base64 JSON error, then 535 after the client's
                         answer (which is logged: "oauth answer ..."), as
                         Gmail does; or (535) a 535 at once, as Microsoft
  --dsn                  announce DSN; accept RET/ENVID on MAIL and
                         NOTIFY/ORCPT on RCPT (otherwise they get 555)
  --smtputf8             announce SMTPUTF8 and accept UTF-8 addresses
  --no-8bitmime          do not announce 8BITMIME; BODY=8BITMIME gets 555
  --no-pipelining        do not announce PIPELINING
  --size N               announce and enforce SIZE N (default 33554432)
  --reject-mail ADDR=REPLY  answer MAIL FROM:<ADDR> with REPLY (repeatable)
  --reject-rcpt ADDR=REPLY  answer RCPT TO:<ADDR> with REPLY, e.g.
                         "bad@x=550 5.1.1 no such user" (repeatable;
                         4xx works too). ADDR compares case-insensitively.
  --data-reply REPLY     answer every end of data with REPLY instead of
                         250; a message answered with non-2xx is not saved
  --timeout SECONDS      idle timeout per connection (default 60)

NNNN.env holds: mail_from, rcpt_tos, mail_options, rcpt_options (flat, as
aiosmtpd keeps them), rcpts ([{"to":..,"options":[..]}]), peer [host, port],
helo, esmtp (EHLO rather than HELO), tls (false or the TLS version),
tls_cipher, client_cert (subject string or null), auth (user or null),
auth_mech (the OAuth mechanism used, or null),
smtputf8, size (bytes of the .eml). Parameters are kept as the client sent
them (case preserved).

SIGTERM or SIGINT: stop listening, drop connections, remove the pid file,
exit 0.
"""

import argparse
import asyncio
import collections
import json
import logging
import os
import re
import signal
import ssl
import sys
import warnings

import base64
import binascii

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

log = logging.getLogger("smtpd")

DSN_MAIL = {"RET", "ENVID"}
DSN_RCPT = {"NOTIFY", "ORCPT"}


def write_atomic(path, data):
    tmp = "%s.tmp%d" % (path, os.getpid())
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode) as f:
        f.write(data)
    os.rename(tmp, path)


def parse_reply_map(items, opt):
    out = {}
    for item in items or []:
        addr, eq, reply = item.partition("=")
        if not eq or not re.match(r"^[2-5][0-9][0-9][ -]", reply + " "):
            sys.exit("smtpd.py: %s wants ADDR=CODE TEXT, got %r" % (opt, item))
        out[addr.strip().lower()] = reply
    return out


class Spool:
    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)
        n = 0
        for name in os.listdir(path):
            m = re.match(r"^(\d+)\.(eml|env)$", name)
            if m:
                n = max(n, int(m.group(1)))
        self.next = n + 1

    def save(self, meta, content):
        n = self.next
        self.next += 1
        base = os.path.join(self.path, "%04d" % n)
        meta["size"] = len(content)
        write_atomic(base + ".env", json.dumps(meta, indent=1) + "\n")
        write_atomic(base + ".eml", content)
        return n


class Server(SMTP):
    """aiosmtpd's SMTP with DSN parameters, BODY policy and implicit TLS."""

    def __init__(self, handler, opts, implicit_tls, **kw):
        # aiosmtpd keeps these limits in a class attribute: make it ours.
        self.command_size_limits = collections.defaultdict(lambda: 512)
        # RFC 4954 4: an AUTH line with its initial response may be longer
        self.command_size_limits["AUTH"] = 12288
        super().__init__(handler, **kw)
        self.opts = opts
        self.implicit_tls = implicit_tls
        self.raw_params = []

    def connection_made(self, transport):
        super().connection_made(transport)
        if self.implicit_tls and self._tls_protocol is None:
            # aiosmtpd only knows STARTTLS; mark the session as encrypted
            # so AUTH is offered and STARTTLS is not.
            self._tls_protocol = True
            self.session.ssl = True

    async def _split_params(self, arg, keyword, dsn_keys):
        """Strips parameters aiosmtpd would refuse; returns the new arg or
        None when a reply has been sent already."""
        self.raw_params = []
        if arg is None:
            return arg
        rest = self._strip_command_keyword(keyword, arg)
        if rest is None:
            return arg
        address, params = self._getaddr(rest)
        if not address or params is None or not rest.endswith(params):
            return arg
        addrtext = rest[:len(rest) - len(params)]
        keep = []
        for p in params.split():
            self.raw_params.append(p)
            key, _, value = p.partition("=")
            key = key.upper()
            if self.opts.dsn and key in dsn_keys:
                bad = ((key == "RET" and value.upper() not in
                        ("FULL", "HDRS")) or
                       (key == "NOTIFY" and not re.match(
                           r"^(NEVER|(SUCCESS|FAILURE|DELAY)"
                           r"(,(SUCCESS|FAILURE|DELAY))*)$", value.upper())) or
                       (key in ("ENVID", "ORCPT") and not value))
                if bad:
                    await self.push("501 5.5.4 Bad %s parameter" % key)
                    return None
                continue
            if (key == "BODY" and value.upper() == "8BITMIME"
                    and self.opts.no_8bitmime):
                await self.push("555 5.5.4 BODY=8BITMIME not supported")
                return None
            keep.append(p)
        return " ".join([keyword + addrtext] + keep)

    async def smtp_MAIL(self, arg):
        if self.session.host_name and not self.envelope.mail_from:
            arg = await self._split_params(arg, "FROM:", DSN_MAIL)
            if arg is None:
                return
        await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        if self.session.host_name and self.envelope.mail_from:
            arg = await self._split_params(arg, "TO:", DSN_RCPT)
            if arg is None:
                return
        await super().smtp_RCPT(arg)

    async def smtp_AUTH(self, arg):
        if not self.opts.auth and not self.opts.oauth:
            await self.push("502 5.5.1 AUTH not supported")
            return
        await super().smtp_AUTH(arg)


class Handler:
    def __init__(self, opts, spool):
        self.opts = opts
        self.spool = spool
        self.users = {}
        for item in opts.auth or []:
            user, colon, pw = item.partition(":")
            if not colon:
                sys.exit("smtpd.py: --auth wants USER:PASS, got %r" % item)
            self.users[user.encode()] = pw.encode()
        self.oauth = {}
        for item in opts.oauth or []:
            user, colon, tok = item.partition(":")
            if not colon:
                sys.exit("smtpd.py: --oauth wants USER:TOKEN, got %r" % item)
            self.oauth.setdefault(user, set()).add(tok)
        self.reject_mail = parse_reply_map(opts.reject_mail, "--reject-mail")
        self.reject_rcpt = parse_reply_map(opts.reject_rcpt, "--reject-rcpt")

    def authenticate(self, server, session, envelope, mechanism, data):
        ok = self.users.get(data.login) == data.password
        log.info("AUTH %s %r: %s", mechanism, data.login, ok and "ok" or "bad")
        return AuthResult(success=ok, handled=False, auth_data=data)

    async def auth_XOAUTH2(self, server, args):
        return await self._oauth(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server, args):
        return await self._oauth(server, args, "OAUTHBEARER")

    async def _oauth(self, server, args, mech):
        if len(args) == 2:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            blob = await server.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        fields = blob.decode("utf-8", "replace").split("\x01")
        kv = {}
        if mech == "XOAUTH2":
            ok_shape = len(fields) == 4 and fields[2:] == ["", ""]
        else:
            # gs2-header "n,a=USER," then key=value fields, ^A^A at the end
            gs2 = fields[0].split(",")
            ok_shape = (len(gs2) == 3 and gs2[0] == "n" and
                        gs2[1].startswith("a=") and gs2[2] == "" and
                        fields[-2:] == ["", ""])
            if ok_shape:
                kv["user"] = (gs2[1][2:].replace("=2C", ",")
                              .replace("=3D", "="))
        for f in fields[1 if mech == "OAUTHBEARER" else 0:]:
            k, eq, v = f.partition("=")
            if eq:
                kv[k] = v
        user = kv.get("user", "")
        auth = kv.get("auth", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        ok = ok_shape and token is not None and token in self.oauth.get(
            user, ())
        log.info("oauth %s user=%s token=%s host=%s port=%s: %s", mech,
                 user, token, kv.get("host"), kv.get("port"),
                 ok and "ok" or "bad")
        if ok:
            server.session.auth_mech = mech
            return AuthResult(success=True, auth_data=LoginPassword(
                login=user.encode(), password=b""))
        if self.opts.oauth_fail == "535":
            return AuthResult(success=False, handled=False,
                              message="535 5.7.3 Authentication unsuccessful")
        err = json.dumps({"status": "401", "schemes": "bearer",
                          "scope": "https://mail.google.com/"})
        answer = await server.challenge_auth(err)
        log.info("oauth answer %r", answer)
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Username and Password not "
                          "accepted")

    async def handle_EHLO(self, server, session, envelope, hostname, lines):
        session.host_name = hostname
        out = []
        for line in lines:
            word = line[4:].split(" ")[0]
            if word == "8BITMIME" and self.opts.no_8bitmime:
                continue
            if word == "AUTH" and not self.opts.auth and not self.opts.oauth:
                continue
            if line.startswith("250 "):   # the last line
                if not self.opts.no_pipelining:
                    out.append("250-PIPELINING")
                if self.opts.dsn:
                    out.append("250-DSN")
                    # RFC 3461 section 4: room for ENVID/RET and ORCPT.
                    server.command_size_limits["MAIL"] += 100
                    server.command_size_limits["RCPT"] += 600
            out.append(line)
        return out

    async def handle_MAIL(self, server, session, envelope, address, options):
        reply = self.reject_mail.get(address.lower())
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(server.raw_params)
        envelope.rcpts = []
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        reply = self.reject_rcpt.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(server.raw_params)
        envelope.rcpts.append({"to": address,
                               "options": list(server.raw_params)})
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.opts.data_reply and not self.opts.data_reply.startswith("2"):
            return self.opts.data_reply
        tls = False
        cipher = None
        client_cert = None
        sslobj = server.transport.get_extra_info("ssl_object")
        if sslobj is not None:
            tls = sslobj.version()
            cipher = sslobj.cipher()[0]
            cert = sslobj.getpeercert()
            if cert:
                client_cert = ", ".join("%s=%s" % kv for rdn in
                                        cert.get("subject", ()) for kv in rdn)
        auth = None
        if session.authenticated and session.auth_data is not None:
            auth = session.auth_data.login.decode("utf-8", "replace")
        peer = session.peer
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "rcpt_options": envelope.rcpt_options,
            "rcpts": getattr(envelope, "rcpts", []),
            "peer": list(peer[:2]) if peer else None,
            "helo": session.host_name,
            "esmtp": bool(session.extended_smtp),
            "tls": tls,
            "tls_cipher": cipher,
            "client_cert": client_cert,
            "auth": auth,
            "auth_mech": getattr(session, "auth_mech", None),
            "smtputf8": bool(envelope.smtp_utf8),
        }
        n = self.spool.save(meta, envelope.original_content)
        log.info("saved message %04d from %r to %r", n, envelope.mail_from,
                 envelope.rcpt_tos)
        return self.opts.data_reply or "250 2.0.0 OK queued as %04d" % n


def oauth_excluded(opts):
    """The mechanisms not offered: PLAIN and LOGIN without --auth, the
    OAuth ones without --oauth or when --oauth-mechs leaves them out."""
    out = []
    if not opts.auth:
        out += ["PLAIN", "LOGIN"]
    mechs = opts.oauth_mechs.upper().split(",") if opts.oauth else []
    out += [m for m in ("XOAUTH2", "OAUTHBEARER") if m not in mechs]
    return out


def tls_context(cert, key, client_ca, tls_max=None):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    if tls_max:
        # TLS 1.0/1.1 need SHA-1 signatures, refused above SECLEVEL 0
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = {"1.0": ssl.TLSVersion.TLSv1,
                               "1.1": ssl.TLSVersion.TLSv1_1,
                               "1.2": ssl.TLSVersion.TLSv1_2}[tls_max]
    if client_ca:
        ctx.load_verify_locations(client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


def parse_args(argv):
    p = argparse.ArgumentParser(prog="smtpd.py", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--pid-file")
    p.add_argument("--log")
    p.add_argument("--spool", required=True)
    p.add_argument("--hostname", default="mx.test")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--client-ca")
    p.add_argument("--tls-max", choices=["1.0", "1.1", "1.2"])
    p.add_argument("--auth", action="append")
    p.add_argument("--auth-require", action="store_true")
    p.add_argument("--auth-without-tls", action="store_true")
    p.add_argument("--oauth", action="append")
    p.add_argument("--oauth-mechs", default="XOAUTH2,OAUTHBEARER")
    p.add_argument("--oauth-fail", choices=("json", "535"), default="json")
    p.add_argument("--dsn", action="store_true")
    p.add_argument("--smtputf8", action="store_true")
    p.add_argument("--no-8bitmime", action="store_true")
    p.add_argument("--no-pipelining", action="store_true")
    p.add_argument("--size", type=int, default=33554432)
    p.add_argument("--reject-mail", action="append")
    p.add_argument("--reject-rcpt", action="append")
    p.add_argument("--data-reply")
    p.add_argument("--timeout", type=float, default=60)
    o = p.parse_args(argv)
    if o.starttls and o.implicit_tls:
        p.error("--starttls and --implicit-tls exclude each other")
    if o.require_starttls and not o.starttls:
        p.error("--require-starttls needs --starttls")
    return o


async def serve(opts):
    handler = Handler(opts, Spool(opts.spool))
    loop = asyncio.get_running_loop()
    starttls_ctx = None
    implicit_ctx = None
    if opts.starttls:
        starttls_ctx = tls_context(*opts.starttls, opts.client_ca,
                                   opts.tls_max)
    if opts.implicit_tls:
        implicit_ctx = tls_context(*opts.implicit_tls, opts.client_ca,
                                   opts.tls_max)

    def factory():
        return Server(handler, opts, implicit_ctx is not None,
                      loop=loop,
                      hostname=opts.hostname,
                      ident="minimta-test smtpd",
                      data_size_limit=opts.size,
                      enable_SMTPUTF8=opts.smtputf8,
                      tls_context=starttls_ctx,
                      require_starttls=opts.require_starttls,
                      timeout=opts.timeout,
                      auth_required=opts.auth_require,
                      auth_require_tls=not opts.auth_without_tls,
                      auth_exclude_mechanism=oauth_excluded(opts),
                      authenticator=handler.authenticate)

    server = await loop.create_server(factory, host=opts.host,
                                      port=opts.port, ssl=implicit_ctx)
    port = server.sockets[0].getsockname()[1]
    log.info("listening on %s:%d", opts.host, port)
    if opts.port_file:
        write_atomic(opts.port_file, "%d\n" % port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    server.close()
    # asyncio.run() cancels the sessions still open when we return.


def main(argv):
    opts = parse_args(argv)
    warnings.simplefilter("ignore")
    if opts.log:
        logging.basicConfig(filename=opts.log, level=logging.INFO,
                            format="%(asctime)s %(name)s %(levelname)s "
                            "%(message)s")
    else:
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    if opts.pid_file:
        write_atomic(opts.pid_file, "%d\n" % os.getpid())
    try:
        asyncio.run(serve(opts))
    except asyncio.CancelledError:
        pass
    finally:
        if opts.pid_file:
            try:
                os.unlink(opts.pid_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
