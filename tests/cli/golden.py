#!/usr/bin/env python3
"""golden.py OUT DIR: the drafts and reminders a poll wrote, one reviewable
text file per message, into DIR/LABEL.txt.

LABEL is the last dot-separated part of the message's Maildir file name
(the caller names the files so).  Each file says the message's class and
then each output of it, in the order the poll made them: a draft as its
addressing headers and its decoded body (trailing blanks of format=flowed
lines dropped), a reminder as its summary, due time, status, alarm, the
reminder it is related to and its description, unescaped.  What changes
from run to run or from machine to machine is left out or normalised:
the Date header and DTSTAMP (the caller fixes the clock anyway), the
draft's Message-ID and References, the VTIMEZONE (libical's zone data),
PRODID; the 16 hex digits that name a message's outputs become ID, so
that a file shows how outputs relate without depending on hash values;
the reminder's rule trace ("Why: classified as CLASS: rule (...); ...")
is cut after the class.
"""
import email
import json
import os
import re
import sys
from email import policy

out_dir, dest = sys.argv[1], sys.argv[2]
HEX = re.compile(r"\b[0-9a-f]{16}(?=[-.])")


def norm(s):
    return HEX.sub("ID", s)


def draft(path):
    m = email.message_from_binary_file(open(path, "rb"), policy=policy.default)
    lines = []
    for h in ("From", "To", "Cc", "Bcc", "Reply-To", "Subject", "In-Reply-To"):
        for v in m.get_all(h, []):
            lines.append("%s: %s" % (h, " ".join(str(v).split())))
    body = m.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    lines.append("")
    lines += [l if l == "-- " else l.rstrip()
              for l in text.rstrip("\n").split("\n")]
    return lines


def unescape(v):
    return re.sub(r"\\([nN,;\\])",
                  lambda m: "\n" if m.group(1) in "nN" else m.group(1), v)


def reminder(path):
    raw = open(path, encoding="utf-8").read().replace("\r\n", "\n")
    raw = re.sub(r"\n[ \t]", "", raw)           # unfold
    props, depth, lines = [], [], []
    for l in raw.split("\n"):
        if l.startswith("BEGIN:"):
            depth.append(l[6:])
            continue
        if l.startswith("END:"):
            depth.pop()
            continue
        if not depth or depth[-1] not in ("VEVENT", "VTODO", "VALARM"):
            continue
        name, _, value = l.partition(":")
        key = name.split(";")[0]
        params = name[len(key):]
        props.append((depth[-1], key, params, value))
    wanted = ("SUMMARY", "DTSTART", "DUE", "DURATION", "STATUS", "RELATED-TO",
              "TRIGGER", "SEQUENCE")
    desc = ""
    for comp, key, params, value in props:
        if comp == "VALARM" and key == "TRIGGER":
            lines.append("ALARM: %s" % value)
        elif comp != "VALARM" and key == "DESCRIPTION":
            desc = unescape(value)
        elif comp != "VALARM" and key in wanted:
            lines.append("%s%s: %s" % (key, params, norm(unescape(value))))
    lines.append("")
    # The rule trace is the classifier's business (gravity explain): only
    # the class it came to is kept, so that a rule renamed or reworded
    # does not change what the owner reads here.
    desc = re.sub(r"(?m)^(Why: classified as \w+).*$", r"\1", desc)
    lines += [l.rstrip() for l in desc.rstrip("\n").split("\n")]
    return lines


os.makedirs(dest, exist_ok=True)
for l in open(os.path.join(out_dir, "log.jsonl"), encoding="utf-8"):
    rec = json.loads(l)
    src = rec.get("source_id", "")
    if not src.startswith("maildir:"):
        continue
    label = os.path.basename(src).rsplit(".", 1)[-1]
    text = ["class: %s" % rec.get("class", rec.get("status", "?"))]
    outs = rec.get("outputs", [])
    if not outs:
        text.append("(no drafts, no reminders)")
    for o in outs:
        kind, _, name = o.partition("/")
        action = re.sub(r"^[0-9a-f]{16}-", "", name).rsplit(".", 1)[0]
        text += ["", "=== %s %s" % ("draft" if kind == "drafts" else
                                      "reminder", action)]
        p = os.path.join(out_dir, o)
        text += draft(p) if kind == "drafts" else reminder(p)
    with open(os.path.join(dest, label + ".txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(text) + "\n")
