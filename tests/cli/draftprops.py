#!/usr/bin/env python3
"""draftprops.py OUT MAILDIR [LABEL]: properties of the drafts a poll wrote.

Reads OUT/log.jsonl (one line per message, with its class and outputs) and
the messages the poll read (by their file name in MAILDIR), and prints one
line per property violated, "LABEL FILE: what".  Then a last line
"checked N drafts".  Exits 0 always; the caller counts the lines.

Properties (independent of gravity's own extraction):
  ask   every question sentence of an inquiry's new text (a sentence that
        ends in '?') is quoted back in the draft's own part, above the
        quoted original, followed by a "[...]" gap for the owner (which
        may name what the answer needs: "[... your price]")
  lang  a draft to the sender is in the language of the message (en es pt
        fr de it, by common words), when the message's language is clear
  bcc   a draft that says it moved someone to Bcc has a Bcc header
  pnote a note to a partner (ask-partner) carries no run of six words of
        the requester's message, nor their address or phone
It also writes OUT/bodies.tsv: "FILE<TAB>class<TAB>PART<TAB>line" for each
body line of each inquiry reply, for the similarity check: the draft's own
lines, with the questions it quotes back, without blank lines, the quoted
original (from its attribution line) and the signature; PART is "closing"
for the valediction above the signature ("Best regards," and the owner's
name), "body" for the rest.
"""
import email
import json
import os
import re
import sys
from email import policy

out_dir, box = sys.argv[1], sys.argv[2]
label = sys.argv[3] if len(sys.argv) > 3 else os.path.basename(out_dir)

WORDS = {
    "en": "the and you to of is for with that we are have would your this in "
          "can could our thanks".split(),
    "es": "el la los las que de y en por para con una un su nuestra es "
          "gracias usted muy".split(),
    "pt": "o os as que de e em por para com uma um seu sua não obrigado "
          "obrigada você muito".split(),
    "fr": "le la les que de et en pour avec une un votre nous vous est "
          "merci je bonjour".split(),
    "de": "der die das und ist nicht mit für ein eine wir sie ich ihr "
          "vielen dank bitte".split(),
    "it": "il la che di e per con una un non sono ci grazie della vorrei "
          "buongiorno mi".split(),
}


def lang_of(text):
    """The language with clearly the most common words, or None."""
    toks = re.findall(r"[a-zà-ÿ]+", text.lower())
    score = {l: sum(t in set(w) for t in toks) for l, w in WORDS.items()}
    best = sorted(score.items(), key=lambda kv: -kv[1])
    if best[0][1] >= 6 and best[0][1] >= 1.5 * best[1][1]:
        return best[0][0]
    return None


def plain_of(msg):
    """The text of a message: its first text/plain part, else its HTML
    with the tags taken out."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError):
        return ""
    if part.get_content_type() == "text/html":
        text = re.sub(r"(?is)<(script|style).*?</\1>", " ", text)
        text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", text)
        text = re.sub(r"<[^>]+>", " ", text)
        text = re.sub(r"&nbsp;", " ", text)
    return text


ATTRIB = re.compile(r"^(On .* wrote:|El .* escribió:|Em .* escreveu:|"
                    r"Le .* a écrit :|Am .* schrieb .*:|Il giorno .* ha "
                    r"scritto:|-+ ?Original Message ?-+|-+ ?Forwarded "
                    r"message ?-+|From: .*)$")


def new_text(text):
    """The sender's own new text: up to the first attribution line or
    quoted block, without "> " lines or the signature."""
    keep = []
    for line in text.splitlines():
        s = line.strip()
        if ATTRIB.match(s) or s == "--" or s == "-- ":
            break
        if s.startswith(">"):
            continue
        keep.append(line)
    return "\n".join(keep)


PHATIC = re.compile(r"(?i)(how are you|how's it going|tudo bem|"
                    r"como vai|como está|qué tal|cómo está|comment "
                    r"allez-vous|ça va|wie geht|come stai|come va)")


def questions(text):
    """Sentences that end in '?': a list item, the part after a colon and
    the part outside brackets each count as a sentence; a Spanish one
    starts at its '¿'; a greeting ("tudo bem?") and a form's field label
    ("How did you hear about me?: Instagram") are none."""
    t = re.sub(r"\n\s*(?:[-*•]|\d[.)])\s+", "\n\n", text)
    t = re.sub(r"\([^()]*\)", " ", t)
    out = []
    for para in re.split(r"\n\s*\n", t):
        flat = re.sub(r"\s+", " ", para)
        for m in re.finditer(r"[^.!?:;]*\?", flat):
            if flat[m.end():m.end() + 1] == ":":
                continue        # a web form's field label ("Budget?: ...")
            q = m.group(0).strip()
            if "¿" in q:
                q = q[q.index("¿"):]
            q = q.lstrip("-*•,) ")
            if len(q.split()) >= 2 and not (len(q.split()) <= 5 and
                                            PHATIC.search(q)) \
                    and not re.search(r"https?://|www\.", q):
                out.append(q)
    return out


def unflow(lines):
    """Join format=flowed soft breaks (a line ending in a blank) of quoted
    and plain lines alike."""
    out, cur = [], None
    for line in lines:
        if cur is not None:
            if line.startswith("> ") and cur.startswith("> "):
                cur += line[2:]
            else:
                cur += line
        else:
            cur = line
        if not cur.endswith(" ") or cur.strip() == "--":
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return out


def own_part(body):
    """The draft's own lines: up to the attribution of the quoted original
    or the signature separator."""
    lines = unflow(body.replace("\r\n", "\n").split("\n"))
    own = []
    for line in lines:
        if line == "-- " or ATTRIB.match(line.strip()):
            break
        own.append(line)
    return own


def closing_at(own):
    """Where the valediction starts ("Best regards," and the owner's name,
    the last paragraph of the draft's own part when it is two short lines
    that end no sentence), or len(own) when there is none."""
    end = len(own)
    while end and not own[end - 1].strip():
        end -= 1
    start = end
    while start and own[start - 1].strip():
        start -= 1
    para = [l.strip() for l in own[start:end]]
    if len(para) == 2 and all(len(l.split()) <= 5 and not l.endswith(("?", "."))
                              for l in para):
        return start
    return len(own)


# The gap for the owner's answer: "[...]", or with a note of what the
# answer needs ("[... your price]").
GAP = re.compile(r"^\[\.\.\.( [^\]]*)?\]$")


def norm(s):
    s = re.sub(r"\([^()]*\)", " ", s.replace("’", "'"))
    return re.sub(r"\s+([?!.,])", r"\1", re.sub(r"\s+", " ", s)).strip()


msgs = {}
for sub in ("cur", "new"):
    d = os.path.join(box, sub)
    for f in os.listdir(d) if os.path.isdir(d) else []:
        msgs[f.split(":")[0]] = os.path.join(d, f)

n_drafts = 0
bodies = open(os.path.join(out_dir, "bodies.tsv"), "w", encoding="utf-8")
for line in open(os.path.join(out_dir, "log.jsonl"), encoding="utf-8"):
    j = json.loads(line)
    cls = j.get("class")
    src = j.get("source_id", "").rsplit("/", 1)[-1]
    path = msgs.get(src)
    if not path:
        continue
    name = src.rsplit(".", 1)[-1]
    with open(path, "rb") as fp:
        msg = email.message_from_binary_file(fp, policy=policy.default)
    text = new_text(plain_of(msg))
    mlang = lang_of(text)
    sender = (msg.get("Reply-To") or msg.get("From") or "")
    for o in j.get("outputs", []):
        if not o.endswith(".eml"):
            continue
        n_drafts += 1
        action = re.sub(r"^[0-9a-f]+-", "", os.path.basename(o))[:-4]
        with open(os.path.join(out_dir, o), "rb") as fp:
            d = email.message_from_binary_file(fp, policy=policy.default)
        body = d.get_content()
        own = own_part(body)
        owntext = "\n".join(l for l in own if not l.startswith(">"))
        where = f"{label} {name} {action}"
        # bcc: a claim of a move to Bcc needs a Bcc.
        if re.search(r"(?i)\b(bcc|ccn|copia oculta|copie cach)", owntext) \
                and not d.get("Bcc"):
            print(f"{where}: says Bcc, has no Bcc header")
        # ask: each question acknowledged with a gap.
        if cls == "inquiry" and action == "reply":
            acked, block = [], []
            for k, l in enumerate(own):
                if l.startswith(">"):
                    block.append(l[1:].strip())
                    continue
                if block and l.strip() == "":
                    continue
                if block and GAP.match(l.strip()):
                    acked.append(norm(" ".join(block)))
                block = []
            ack = " ".join(acked)
            for q in questions(text):
                if norm(q) not in ack:
                    print(f"{where}: question not acknowledged: {q[:90]}")
            cut = closing_at(own)
            for k, l in enumerate(own):
                if l.strip():
                    part = "closing" if k >= cut else "body"
                    bodies.write(f"{label}/{name}\t{cls}\t{part}\t"
                                 f"{norm(l)}\n")
        # lang: a draft to the sender in the message's language.
        to = d.get("To") or ""
        if action in ("reply", "offer-intro", "decline") and mlang:
            dlang = lang_of(owntext + "\n" + "\n".join(
                l for l in own if l.startswith(">")))
            dl_own = lang_of(owntext * 3)
            if dl_own and dl_own != mlang:
                print(f"{where}: message in {mlang}, draft in {dl_own}")
        # pnote: nothing of the requester in a partner's note.
        if action == "ask-partner":
            words = re.findall(r"\w+", text.lower())
            dn = " ".join(re.findall(r"\w+", body.lower()))
            for k in range(len(words) - 5):
                run = " ".join(words[k:k + 6])
                if run in dn:
                    print(f"{where}: partner note quotes the requester: "
                          f"{run}")
                    break
            addr = re.findall(r"[\w.+-]+@[\w.-]+", sender)
            for a in addr:
                if a.lower() in body.lower():
                    print(f"{where}: partner note carries {a}")
            for ph in re.findall(r"\+?\d[\d ().-]{7,}\d", text):
                if re.sub(r"\D", "", ph) in re.sub(r"\D", "", body):
                    print(f"{where}: partner note carries {ph}")
bodies.close()
print(f"checked {n_drafts} drafts")
