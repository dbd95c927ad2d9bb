#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# crashmail.py DIR N - write N varied messages into the Maildir DIR (for
# tests/t_crash.sh): inquiries, referrals, out-of-scope asks, pitches,
# newsletters and chatter from many senders, so a poll writes many
# reminders and drafts.
import os, sys

box, n = sys.argv[1], int(sys.argv[2])
for sub in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(box, sub), exist_ok=True)
kinds = [
    ("Quote for a new website?", "Hi, could you send me a quote for a new website for my shop? Budget is about 5k. Thanks"),
    ("Intro: meet Carla", "Hi Sam, I'd like to introduce Carla, who needs a website redesign. Carla, meet Sam. Best"),
    ("Can you do my taxes?", "Hello, do you also do bookkeeping and tax returns for small firms? Regards"),
    ("Grow your traffic 10x", "Hi, we are an SEO agency; we can grow your traffic 10x. Can we book a 15 minute call?"),
    ("Lunch next week", "Hey, are you free for lunch next week? Cheers"),
]
for i in range(n):
    subj, body = kinds[i % len(kinds)]
    extra = "List-Id: <news.example.com>\r\nPrecedence: bulk\r\n" if i % 7 == 6 else ""
    msg = ("From: Person %d <p%d@client%d.example>\r\nTo: Sam <sam@riverastudio.example>\r\n"
           "Subject: %s #%d\r\nMessage-ID: <m%d@client.example>\r\n"
           "Date: Mon, 10 Jun 2024 %02d:%02d:00 +0000\r\n%s\r\n%s\r\n\r\n-- \r\nPerson %d\r\n"
           % (i, i, i % 50, subj, i, i, 8 + (i // 60) % 10, i % 60, extra, body, i))
    with open(os.path.join(box, "new", "17%08d.M%dP9.crash" % (i, i)), "w") as f:
        f.write(msg)
