#!/usr/bin/python3
"""SMTP server for tests/unit/test_smtp.c (run with /usr/bin/python3).

Default: a real aiosmtpd server on 127.0.0.1, ephemeral port. It records,
per connection N, the exact bytes the client sent (DIR/conn-N.raw) and
each read as it arrived (DIR/conn-N.chunks: one hex line per read), both
written when the connection ends (renamed into place, so a reader never
sees half a file). Messages are accepted and dropped.

  --dir DIR            where the records go (required); DIR/port gets the
                       port once listening
  --pipelining         announce PIPELINING (aiosmtpd handles it, silently)
  --dsn                announce DSN; RET/ENVID/NOTIFY/ORCPT are accepted
  --size N             announce and enforce SIZE N
  --smtputf8           announce SMTPUTF8
  --reject-ehlo        answer EHLO with 502 (HELO still works)
  --reject-mail A=R    answer MAIL FROM:<A> with reply R
  --reject-rcpt A=R    answer RCPT TO:<A> with reply R (repeatable)
  --data-reply R       answer the end of data with R
  --tls                offer STARTTLS (a self-signed certificate is made
                       in DIR with openssl)
  --auth USER:PASS     offer AUTH after TLS; --auth-login-only: LOGIN only
  --script FILE        no SMTP server: a raw one that sends the file's
                       replies verbatim, separated by lines "--": the first
                       at once, each next one after a line from the client
                       (an empty one: stay silent; "CLOSE": hang up)

SIGTERM ends it.
"""
import argparse
import asyncio
import os
import signal
import ssl
import subprocess
import logging
import sys

ARGS = None
CONN = [0]


def record(n, raw, chunks):
    base = os.path.join(ARGS.dir, "conn-%d" % n)
    for ext, data in ((".raw", raw),
                      (".chunks", b"".join(c.hex().encode() + b"\n"
                                           for c in chunks))):
        with open(base + ext + ".tmp", "wb") as f:
            f.write(data)
        os.rename(base + ext + ".tmp", base + ext)


def pairs(items):
    out = {}
    for item in items or []:
        a, r = item.split("=", 1)
        out[a.lower()] = r
    return out


def run_smtp():
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    reject_mail = pairs(ARGS.reject_mail)
    reject_rcpt = pairs(ARGS.reject_rcpt)

    class Handler:
        async def handle_EHLO(self, server, session, envelope, hostname,
                              responses):
            session.host_name = hostname
            extra = []
            if ARGS.pipelining:
                extra.append("250-PIPELINING")
            if ARGS.dsn:
                extra.append("250-DSN")
            extra.append("250-ENHANCEDSTATUSCODES")
            return responses[:-1] + extra + responses[-1:]

        async def handle_MAIL(self, server, session, envelope, address,
                              options):
            if address.lower() in reject_mail:
                return reject_mail[address.lower()]
            envelope.mail_from = address
            envelope.mail_options.extend(options)
            return "250 2.1.0 OK"

        async def handle_RCPT(self, server, session, envelope, address,
                              options):
            if address.lower() in reject_rcpt:
                return reject_rcpt[address.lower()]
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"

        async def handle_DATA(self, server, session, envelope):
            if ARGS.data_reply:
                return ARGS.data_reply
            return "250 2.0.0 OK queued"

    def strip(arg, names):
        # Takes away the DSN parameters aiosmtpd would refuse; the raw
        # record keeps them for the test to check.
        if not ARGS.dsn or arg is None:
            return arg
        words = arg.split(" ")
        return " ".join(w for w in words
                        if w.split("=", 1)[0].upper() not in names)

    class Server(SMTP):
        def connection_made(self, transport):
            CONN[0] += 1
            self.n = CONN[0]
            self.raw = bytearray()
            self.chunks = []
            super().connection_made(transport)

        def data_received(self, data):
            self.raw += data
            self.chunks.append(bytes(data))
            super().data_received(data)

        def connection_lost(self, exc):
            record(self.n, bytes(self.raw), self.chunks)
            super().connection_lost(exc)

        async def smtp_EHLO(self, hostname):
            if ARGS.reject_ehlo:
                await self.push('502 5.5.2 Error: command "EHLO" not '
                                'recognized')
                return
            await super().smtp_EHLO(hostname)

        async def smtp_MAIL(self, arg):
            await super().smtp_MAIL(strip(arg, ("RET", "ENVID")))

        async def smtp_RCPT(self, arg):
            await super().smtp_RCPT(strip(arg, ("NOTIFY", "ORCPT")))

    kw = {}
    if ARGS.tls:
        cert = os.path.join(ARGS.dir, "cert.pem")
        key = os.path.join(ARGS.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-subj", "/CN=localhost", "-days", "2",
                        "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        kw["tls_context"] = ctx
    if ARGS.auth:
        user, pw = ARGS.auth.split(":", 1)

        def check(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and
                  data.login == user.encode() and
                  data.password == pw.encode())
            # handled=False: aiosmtpd then says 535 itself
            return AuthResult(success=ok, handled=False)
        kw["authenticator"] = check
        kw["auth_require_tls"] = True
        if ARGS.auth_login_only:
            kw["auth_exclude_mechanism"] = ["PLAIN"]
    else:
        # No AUTH line in EHLO at all.
        kw["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]

    def factory():
        return Server(Handler(), hostname="mx.test",
                      data_size_limit=ARGS.size,
                      enable_SMTPUTF8=ARGS.smtputf8,
                      decode_data=False, **kw)
    return factory


async def run_script():
    with open(ARGS.script, "rb") as f:
        parts = f.read().split(b"--\n")

    async def serve(reader, writer):
        CONN[0] += 1
        n = CONN[0]
        raw, chunks = bytearray(), []
        try:
            for i, part in enumerate(parts):
                if i > 0:
                    line = await reader.readline()
                    if not line:
                        break
                    raw += line
                    chunks.append(line)
                if part.strip() == b"CLOSE":
                    break
                if part:
                    writer.write(part)
                    await writer.drain()
            else:
                while True:
                    line = await reader.readline()
                    if not line:
                        break
                    raw += line
                    chunks.append(line)
        finally:
            writer.close()
            record(n, bytes(raw), chunks)
    return serve


async def main():
    loop = asyncio.get_running_loop()
    if ARGS.script:
        server = await asyncio.start_server(await run_script(),
                                            "127.0.0.1", 0)
    else:
        server = await loop.create_server(run_smtp(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(os.path.join(ARGS.dir, "port.tmp"), "w") as f:
        f.write("%d\n" % port)
    os.rename(os.path.join(ARGS.dir, "port.tmp"),
              os.path.join(ARGS.dir, "port"))
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    await stop
    server.close()


if __name__ == "__main__":
    # aiosmtpd logs a warning about its own use of login_data
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--pipelining", action="store_true")
    p.add_argument("--dsn", action="store_true")
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--smtputf8", action="store_true")
    p.add_argument("--reject-ehlo", action="store_true")
    p.add_argument("--reject-mail", action="append")
    p.add_argument("--reject-rcpt", action="append")
    p.add_argument("--data-reply")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--auth")
    p.add_argument("--auth-login-only", action="store_true")
    p.add_argument("--script")
    ARGS = p.parse_args()
    asyncio.run(main())
    sys.exit(0)
