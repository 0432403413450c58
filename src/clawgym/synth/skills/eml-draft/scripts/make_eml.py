#!/usr/bin/env python3
"""Write an RFC 5322 draft (.eml) or read one back as JSON."""
import argparse
import json
import mimetypes
import os
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser


def read(path):
    with open(path, "rb") as fh:
        msg = BytesParser(policy=policy.default).parse(fh)
    body = msg.get_body(preferencelist=("plain",))
    print(json.dumps({"from": msg["From"], "to": msg["To"], "cc": msg["Cc"], "subject": msg["Subject"],
                      "message_id": msg["Message-ID"], "in_reply_to": msg["In-Reply-To"],
                      "body": body.get_content() if body else ""}, indent=2, ensure_ascii=False))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--read")
    ap.add_argument("--to"); ap.add_argument("--cc"); ap.add_argument("--from", dest="sender")
    ap.add_argument("--subject"); ap.add_argument("--body"); ap.add_argument("--body-file")
    ap.add_argument("--in-reply-to"); ap.add_argument("--date"); ap.add_argument("--attach", action="append", default=[])
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.read:
        return read(a.read)
    if not (a.to and a.subject and a.out and (a.body is not None or a.body_file)):
        ap.error("writing needs --to, --subject, --out and --body or --body-file")
    msg = EmailMessage()
    if a.sender:
        msg["From"] = a.sender
    msg["To"] = ", ".join(x.strip() for x in a.to.split(",") if x.strip())
    if a.cc:
        msg["Cc"] = ", ".join(x.strip() for x in a.cc.split(",") if x.strip())
    msg["Subject"] = a.subject
    if a.date:
        msg["Date"] = a.date
    if a.in_reply_to:
        msg["In-Reply-To"] = a.in_reply_to
        msg["References"] = a.in_reply_to
    body = a.body if a.body is not None else open(a.body_file, encoding="utf-8").read()
    msg.set_content(body)
    for path in a.attach:
        ctype = mimetypes.guess_type(path)[0] or "text/plain"
        maintype, subtype = ctype.split("/", 1)
        with open(path, "rb") as fh:
            msg.add_attachment(fh.read(), maintype=maintype, subtype=subtype, filename=os.path.basename(path))
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    with open(a.out, "wb") as fh:
        fh.write(msg.as_bytes(policy=policy.SMTP))
    print(a.out)


if __name__ == "__main__":
    main()
