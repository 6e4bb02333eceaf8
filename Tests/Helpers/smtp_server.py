#!/usr/bin/python3
"""A real SMTP server (Debian's python3-aiosmtpd) for Lander's tests; each mail is saved as JSON.

usage: smtp_server.py PORT_FILE MAIL_DIR [--tls CERT KEY] [--user NAME PASSWORD]

With --tls it offers STARTTLS and requires it; with --user it requires AUTH (over TLS when --tls) with that
user and password. Each message goes to MAIL_DIR/N.json: envelope sender and recipients, the decoded subject
and body, the headers and the user that authenticated.
"""
import asyncio
import json
import os
import socket
import ssl
import sys
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port_file, mail_dir = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
tls = args[args.index("--tls") + 1 : args.index("--tls") + 3] if "--tls" in args else None
user = args[args.index("--user") + 1 : args.index("--user") + 3] if "--user" in args else None
os.makedirs(mail_dir, exist_ok=True)


class Handler:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        body = message.get_body(("html", "plain"))
        self.count += 1
        entry = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "content_type": message.get_content_type(),
            "body": body.get_content() if body is not None else "",
            "headers": {k.lower(): str(v) for k, v in message.items()},
            "auth": session.auth_data.login.decode() if getattr(session, "auth_data", None) else None,
            "tls": session.ssl is not None,
        }
        path = os.path.join(mail_dir, "%03d.json" % self.count)
        with open(path + ".tmp", "w") as out:
            json.dump(entry, out)
        os.rename(path + ".tmp", path)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = user is not None and auth_data.login.decode() == user[0] and auth_data.password.decode() == user[1]
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
kwargs = {}
if tls:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls[0], tls[1])
    kwargs.update(tls_context=context, require_starttls=True)
if user:
    kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(tls))
else:
    kwargs.update(auth_require_tls=False)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
with open(port_file + ".tmp", "w") as out:
    out.write(str(port))
os.rename(port_file + ".tmp", port_file)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
