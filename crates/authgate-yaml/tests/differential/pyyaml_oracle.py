"""Random YAML documents and what PyYAML makes of them, for pyyaml_differential.rs.

    python pyyaml_oracle.py SEED COUNT

prints COUNT JSON lines, one per document, all drawn from SEED (the same seed
gives the same documents on every machine with the same PyYAML):

    {"name": ..., "yaml": text, "data": typed or null, "dump": text or null,
     "error": message or null}

"data" is what `yaml.safe_load(text)` builds (type-tagged JSON, see
../fixtures/gen_fixtures.py), "dump" is what
`yaml.dump(data, default_flow_style=False, allow_unicode=True)` writes for it
(the flags the config store uses), and "error" is PyYAML's message when it
refuses the text. The Rust side checks that authgate reads the same data,
writes the same dump, and refuses what PyYAML refuses.

Two kinds of documents:

* "data": random Python data (config-like sections, and nastier: nested
  maps and lists, 1.1-special strings, unicode with U+2028, long strings,
  quotes, keys of mixed types, big integers, odd floats, dates), written by
  `yaml.dump` with random options (flow or block style, quoting styles,
  widths, indents, escaped or raw unicode, canonical form).
* "text": YAML written the way people write it, drawn from a small grammar:
  plain scalars left for the YAML 1.1 resolver (yes, 012, 1:30, 2024-01-05,
  .inf, ~), quoted scalars with escapes and folded lines, block scalars,
  flow collections, comments, anchors, aliases and merge keys, explicit tags.

What the generator leaves out is the engine's list of known differences
from PyYAML (crates/authgate-yaml/src/lib.rs): quoted continuation lines
that are not indented, stray tabs, U+2028/U+2029 in plain or block scalars,
`!!binary`/`!!set`/`!!omap`/`!!pairs`, recursive aliases, NaN keys, anchor
names followed by `:`, and merges of several mappings or of a mapping with
a repeated key (where PyYAML 6.0.3 and 6.0.4 differ).
"""

import datetime
import json
import os
import random
import string
import struct
import sys

import yaml

# Only for drawing documents, never for the answers.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FAST_DUMPER = getattr(yaml, "CDumper", yaml.Dumper)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from gen_fixtures import dump, enc, unshare  # noqa: E402

# ---- data documents ------------------------------------------------------------

# fmt: off
SPECIAL_WORDS = [
    # YAML 1.1 booleans and nulls, and near misses that stay strings
    "yes", "Yes", "YES", "no", "No", "on", "On", "off", "OFF", "y", "n", "Y", "N", "true", "True",
    "FALSE", "tRUE", "null", "Null", "NULL", "~", "nul", "none", "None",
    # numbers in every base, sexagesimal, and strings that look like numbers
    "0", "012", "09", "0o12", "0x1F", "0X1f", "0b101", "0b_1", "1_000", "+12", "-0", "1:30",
    "190:20:30", "1:30.5", "-1:0:0", "1.5", "1.", ".5", "-.5", "1e3", "1.0e+3", "1E-2",
    "6.8523015e+5", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "12345678901234567890",
    "0x" + "f" * 30,
    # dates and times, valid and not
    "2024-01-05", "2024-1-5", "2024-01-05 10:00:00", "2024-01-05T10:00:00Z",
    "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2024-13-01", "2023-02-29",
    # indicators and structure
    "<<", "=", "-", "- a", "?", "? x", ":", ": x", "a: b", "a:b", "#", "a #b", "a#b", "[a]",
    "{a: 1}", "&a", "*a", "!x", "!!str", "|", ">", "%x", "@x", "`x", "'", '"', "it's", "---",
    "...", "", " ", "  a", "a  ", "\t", "a\tb",
]

ALPHABET = [
    *string.ascii_letters, *string.digits,
    " ", " ", " ", ":", "#", "-", "?", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", '"',
    "%", "@", "`", "\\", "/", ".", "_", "=", "<", "\t", "\n", "\n", "\r", "\x00", "\x07", "\x1b",
    "\x7f", "\x85", "\xa0", "é", "ß", "ø", "中", "😀", "\u2028", "\u2029", "\ufeff", "\ufffd",
    "\U0010fffd", "\ud7ff", "\ue000", "\u0301", "\u200b",
]
# fmt: on


def words(rng, low, high):
    n = rng.randint(low, high)
    out = []
    while sum(len(w) + 1 for w in out) < n:
        out.append("".join(rng.choice("abcdefghijk") for _ in range(rng.randint(1, 12))))
    return rng.choice([" ", " ", "  ", "\n", " \t", "\n\n"]).join(out)


def rand_string(rng):
    kind = rng.random()
    if kind < 0.25:
        return rng.choice(SPECIAL_WORDS)
    if kind < 0.35:
        return words(rng, 60, 300)
    if kind < 0.45:
        return (
            rng.choice(["", " ", "x"])
            + rng.choice(SPECIAL_WORDS)
            + rng.choice(["", " ", "\n", ":", "x"])
        )
    n = rng.choice([1, 1, 2, 3, 5, 8, 13, 30, 90])
    return "".join(
        rng.choice(SPECIAL_WORDS) if rng.random() < 0.1 else rng.choice(ALPHABET) for _ in range(n)
    )


def rand_float(rng):
    kind = rng.random()
    if kind < 0.3:
        return struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
    if kind < 0.45:
        return rng.choice(
            [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e16, 1e-5, 0.1, 1e300, 5e-324]
        )
    return round(rng.uniform(-1e6, 1e6), rng.randint(0, 8))


def rand_int(rng):
    return rng.choice(
        [
            rng.randint(-1000, 1000),
            rng.getrandbits(70) - 2**69,
            rng.randint(-(2**63), 2**63),
            int("9" * rng.randint(19, 400)) * rng.choice([1, -1]),
        ]
    )


def rand_time(rng):
    if rng.random() < 0.4:
        return datetime.date(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28))
    tz = None
    if rng.random() < 0.5:
        tz = datetime.timezone(datetime.timedelta(minutes=rng.randint(-1439, 1439)))
    return datetime.datetime(
        rng.randint(1, 9999),
        rng.randint(1, 12),
        rng.randint(1, 28),
        rng.randint(0, 23),
        rng.randint(0, 59),
        rng.randint(0, 59),
        rng.choice([0, rng.randint(0, 999999)]),
        tzinfo=tz,
    )


def rand_scalar(rng):
    kind = rng.random()
    if kind < 0.5:
        return rand_string(rng)
    if kind < 0.6:
        return rng.choice([None, True, False])
    if kind < 0.75:
        return rand_int(rng)
    if kind < 0.9:
        return rand_float(rng)
    return rand_time(rng)


def rand_key(rng, mixed):
    kind = rng.random()
    if not mixed or kind < 0.8:
        return rand_string(rng)
    if kind < 0.9:
        return rng.randint(-50, 50)
    # no NaN: Python sorts NaN keys erratically (a known difference)
    return rng.choice(
        [None, True, False, 1.5, -0.0, 2**70, datetime.date(2020, 1, 1), rand_time(rng)]
    )


def rand_value(rng, depth, mixed):
    kind = rng.random()
    if depth > 0 and kind < 0.3:
        return {
            rand_key(rng, mixed): rand_value(rng, depth - 1, mixed)
            for _ in range(rng.randint(0, 6))
        }
    if depth > 0 and kind < 0.45:
        return [rand_value(rng, depth - 1, mixed) for _ in range(rng.randint(0, 5))]
    return rand_scalar(rng)


def rand_user(rng):
    user = {
        "email": rng.choice(
            ["a@example.com", "o'neil@example.org", "x+tag@ex.co", rand_string(rng)]
        ),
        "first_name": rng.choice(["John", "Gäst", "O'Neil", "李", "yes", "", rand_string(rng)]),
        "last_name": rand_string(rng),
        "password": rng.choice(
            [
                "$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW",
                "abc",
                None,
                rand_string(rng),
            ]
        ),
        "roles": rng.choice([None, [], ["admin"], ["admin", "viewer"], [rand_string(rng)]]),
    }
    for extra in ("failed_login_attempts", "logged_in", "totp", "unknown"):
        if rng.random() < 0.3:
            user[extra] = rand_value(rng, 2, mixed=False)
    return user


def rand_config(rng):
    """A streamlit-authenticator config.yaml, with noise in every place a person could put it."""
    users = {
        rand_string(rng) if rng.random() < 0.3 else f"user{i}": rand_user(rng)
        for i in range(rng.randint(0, 6))
    }
    config = {
        "cookie": {
            "expiry_days": rng.choice([30, 0, 1.5, "30"]),
            "key": rand_string(rng),
            "name": rand_string(rng),
        },
        "credentials": {"usernames": users},
    }
    if rng.random() < 0.5:
        config["pre-authorized"] = {"emails": [rand_string(rng) for _ in range(rng.randint(0, 3))]}
    if rng.random() < 0.5:
        config["oauth2"] = {
            "google": {"client_id": rand_scalar(rng), "client_secret": None, "redirect_uri": None}
        }
    if rng.random() < 0.5:
        config[rand_string(rng)] = rand_value(rng, 3, mixed=True)
    return config


def rand_data(rng):
    kind = rng.random()
    if kind < 0.3:
        return rand_config(rng)
    if kind < 0.4:
        return rand_value(rng, 3, mixed=True)
    mixed = rng.random() < 0.3
    data = {rand_key(rng, mixed): rand_value(rng, 3, mixed) for _ in range(rng.randint(1, 8))}
    if rng.random() < 0.1 and data:
        # Shared sub-trees: PyYAML writes anchors and aliases for them.
        key = next(iter(data))
        data["shared"] = [data[key], data[key]]
    return data


def rand_dump_options(rng):
    if rng.random() < 0.35:
        return {"default_flow_style": False, "allow_unicode": True}
    options = {
        "default_flow_style": rng.choice([False, True, None]),
        "allow_unicode": rng.choice([True, False]),
        # No block styles: a string holding U+2028 in a block scalar is a known difference.
        "default_style": rng.choice([None, None, None, "'", '"']),
        "width": rng.choice([None, 20, 40, 1000]),
        "indent": rng.choice([None, 2, 3, 4]),
        "explicit_start": rng.random() < 0.2,
        "explicit_end": rng.random() < 0.1,
        "sort_keys": rng.random() < 0.8,
    }
    if rng.random() < 0.05:
        options = {"canonical": True, "allow_unicode": rng.choice([True, False])}
    return options


# ---- hand-written documents ----------------------------------------------------

RISKY = set("-?:#[]{},&*!|>%@`'\"") | {"---", "..."}
# Plain scalars a person would write unquoted; the risky rest (indicators,
# "a: b", "- a") appears now and then, and PyYAML mostly refuses it.
PLAIN_SCALARS = [
    w
    for w in SPECIAL_WORDS
    if w
    and w.strip() == w
    and "\t" not in w
    and w[0] not in RISKY
    and ": " not in w
    and " #" not in w
    and w not in ("2024-13-01", "2023-02-29", "<<", "=")
] + [
    "hello world",
    "some_signature_key",
    "jsmith@gmail.com",
    "https://example.com/a?b=c#d",
    "C:\\path",
    "Gäßchen café",
    "中文",
    "😀 x",
    "a b  c",
    "x\xa0y",
    "it's",
    "a:b",
    "a#b",
    "x-y",
    "1 2",
]
# No tabs (PyYAML refuses a tab after a plain word, YAML 1.2 does not) and no
# "&a" (PyYAML refuses an anchor defined twice, YAML 1.2 does not): known
# differences.
RISKY_SCALARS = [
    w
    for w in SPECIAL_WORDS
    if w and w.strip() == w and "\t" not in w and w != "&a" and w not in PLAIN_SCALARS
]

# fmt: off
ESCAPES = [
    "\\n", "\\t", "\\\\", '\\"', "\\x41", "\\u00e9", "\\U0001F600", "\\L", "\\P", "\\N", "\\_",
    "\\0", "\\e", "\\a", "\\/", "\\ ",
]
# How much deeper than its line a quoted scalar's continuation line goes: past
# any "- - - " a compact sequence puts before the scalar. (PyYAML takes less;
# YAML 1.2 does not, a known difference.)
CONTINUATION = 10
TAGS = [
    "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!", "!<tag:yaml.org,2002:str>",
]
# fmt: on


class Text:
    """Builds one document as lines; anchors seen so far can be aliased."""

    def __init__(self, rng):
        self.rng = rng
        self.lines = []
        self.anchors = []  # (name, is_map)
        self.next_anchor = 0
        self.last_map_merged = False

    def comment(self):
        return (
            " # " + self.rng.choice(["note", "yes: 1", "'x'", "", "#"])
            if self.rng.random() < 0.1
            else ""
        )

    def anchor(self, is_map, below=None):
        """Maybe an anchor for the next node; aliases may name it once the
        node is complete (after `below`, which writes a block collection),
        since an alias inside its own anchor's node is a recursive alias."""
        if self.rng.random() >= 0.1:
            return "", below
        self.next_anchor += 1
        name = f"a{self.next_anchor}"
        if below is None:
            self.anchors.append((name, is_map))
            return f"&{name} ", None

        def then():
            below()
            # A mapping that merged another holds its keys twice in PyYAML's
            # node; merging it in turn is where PyYAML 6.0.3 and 6.0.4 part.
            self.anchors.append((name, is_map and not self.last_map_merged))

        return f"&{name} ", then

    def single_quoted(self, indent):
        parts = []
        for _ in range(self.rng.randint(0, 4)):
            parts.append(self.rng.choice([*PLAIN_SCALARS, "'", " ", "a #b", "\u2028", "\t", "é"]))
        text = "'" + " ".join(parts).replace("'", "''") + "'"
        if self.rng.random() < 0.2 and " " in text:
            # a folded continuation line, indented deeper than its key
            text = text.replace(" ", "\n" + " " * (indent + CONTINUATION), 1)
        return text

    def double_quoted(self, indent):
        parts = []
        for _ in range(self.rng.randint(0, 4)):
            parts.append(self.rng.choice(PLAIN_SCALARS + ESCAPES + ["'", " ", "\u2028", "é"]))
        # plain words are escaped; the escapes in ESCAPES are meant as written
        text = (
            '"'
            + " ".join(
                p if p in ESCAPES else p.replace("\\", "\\\\").replace('"', '\\"') for p in parts
            )
            + '"'
        )
        if self.rng.random() < 0.2 and " " in text[1:-1]:
            sep = self.rng.choice(["\n", "\\\n"])
            i = text.index(" ", 1)
            if not text[:i].endswith("\\"):
                text = text[:i] + sep + " " * (indent + CONTINUATION) + text[i + 1 :]
        return text

    def scalar(self, indent, key=False):
        kind = self.rng.random()
        if kind < 0.015:
            text = self.rng.choice(RISKY_SCALARS)
        elif kind < 0.6:
            text = self.rng.choice(PLAIN_SCALARS)
        elif kind < 0.8:
            text = self.single_quoted(indent)
        else:
            text = self.double_quoted(indent)
        if key:
            # a key is on one line; U+2028 and U+2029 are line breaks to PyYAML
            text = (
                text.replace("\n" + " " * (indent + CONTINUATION), " ")
                .replace("\u2028", "")
                .replace("\u2029", "")
            )
            # `&a:` is the anchor `a` then `:` to PyYAML, the anchor `a:` in
            # YAML 1.2; and NaN keys are sorted erratically by Python (both
            # known differences)
            if text.startswith(("&", "*")) or "nan" in text.lower():
                return self.scalar(indent, key)
        if self.rng.random() < 0.02:
            text = self.rng.choice(TAGS) + " " + text
        return text

    def flow(self, depth):
        kind = self.rng.random()
        if depth <= 0 or kind < 0.5:
            if self.anchors and self.rng.random() < 0.1:
                return "*" + self.rng.choice(self.anchors)[0]
            return self.rng.choice(
                [p for p in PLAIN_SCALARS if not any(c in p for c in ",[]{}#")] + ["'a, b'", '"x"']
            )
        if kind < 0.75:
            return (
                "[" + ", ".join(self.flow(depth - 1) for _ in range(self.rng.randint(0, 4))) + "]"
            )
        items = []
        for _ in range(self.rng.randint(0, 4)):
            k = self.rng.choice(["a", "b", "yes", "1", "~", "'q'", "2024-01-05", "1.5"])
            items.append(k + ": " + self.flow(depth - 1))
        return "{" + ", ".join(items) + "}"

    def block_scalar(self, indent):
        header = self.rng.choice(["|", ">", "|-", ">-", "|+", ">+", "|2", ">1"])
        body_indent = indent + 2
        if header[-1].isdigit():
            body_indent = indent + int(header[-1])
            if body_indent <= indent:
                body_indent = indent + 1
            header = header[:-1] + str(body_indent - indent)
        lines = []
        for i in range(self.rng.randint(1, 4)):
            # more indented lines only after the first (which sets the indentation)
            extra = " " * self.rng.choice([0, 0, 0, 2]) if i else ""
            body = self.rng.choice(
                [w for w in PLAIN_SCALARS if "\u2028" not in w]
                + ["", "- x", "# not a comment", "'q'"]
            )
            lines.append((" " * body_indent + extra + body) if body else "")
        return header, lines

    def value(self, indent, depth):
        """A value after `key:` or `- `: inline text, or lines below."""
        kind = self.rng.random()
        if depth > 0 and kind < 0.25:
            anchor, below = self.anchor(True, lambda: self.block_map(indent + 2, depth - 1))
            return anchor.rstrip(), below
        if depth > 0 and kind < 0.4:
            step = self.rng.choice([0, 2])
            anchor, below = self.anchor(False, lambda: self.block_seq(indent + step, depth - 1))
            return anchor.rstrip(), below
        if kind < 0.5:
            flow = self.flow(2)
            return self.anchor(False)[0] + flow, None
        if kind < 0.55:
            header, lines = self.block_scalar(indent)
            return header, lambda: self.lines.extend(lines)
        if kind < 0.6 and self.anchors:
            return "*" + self.rng.choice(self.anchors)[0], None
        if kind < 0.63:
            return "", None
        scalar = self.scalar(indent)
        return self.anchor(False)[0] + scalar, None

    def block_map(self, indent, depth):
        maps = [name for name, is_map in self.anchors if is_map]
        merged = bool(maps) and self.rng.random() < 0.2
        if merged:
            # One mapping merged: merging several (`<<: [*a, *b]`) is where
            # PyYAML 6.0.3 and 6.0.4 disagree (a known difference).
            self.lines.append(" " * indent + "<<: *" + self.rng.choice(maps))
        # Distinct keys: PyYAML 6.0.4 merges a mapping with a repeated key
        # differently from 6.0.3 (the first value or the last).
        seen = set()
        for _ in range(self.rng.randint(1, 5)):
            key = self.scalar(indent, key=True)
            try:
                loaded = yaml.load(key + ": 0", Loader=FAST_LOADER)
                resolved = (
                    next(iter(loaded)) if isinstance(loaded, dict) and len(loaded) == 1 else key
                )
                if resolved in seen:
                    continue
                seen.add(resolved)
            except (
                yaml.YAMLError,
                ValueError,
                TypeError,
                KeyError,
                AttributeError,
                IndexError,
                OverflowError,
            ):
                pass
            if self.rng.random() < 0.05:
                key = "? " + key
                self.lines.append(" " * indent + key)
                key = ""
            inline, below = self.value(indent, depth)
            line = " " * indent + key + ":" + (" " + inline if inline else "")
            self.lines.append(line + ("" if inline.startswith(("|", ">")) else self.comment()))
            if below:
                below()
            if self.rng.random() < 0.05:
                self.lines.append(
                    self.rng.choice(["", "# a comment", " " * indent + "# indented comment"])
                )
        self.last_map_merged = merged

    def block_seq(self, indent, depth):
        for _ in range(self.rng.randint(1, 4)):
            inline, below = self.value(indent, depth)
            if below and not inline and self.rng.random() < 0.5:
                # "- key: value" on the dash's line: a compact nested map or sequence
                mark = len(self.lines)
                below()
                first = self.lines[mark].lstrip(" ")
                self.lines[mark] = " " * indent + "- " + first
                continue
            self.lines.append(
                " " * indent + "-" + (" " + inline if inline else "") + self.comment()
            )
            if below:
                below()

    def document(self, depth):
        kind = self.rng.random()
        if kind < 0.7:
            self.block_map(0, depth)
        elif kind < 0.85:
            self.block_seq(0, depth)
        elif kind < 0.95:
            self.lines.append(self.flow(3))
        else:
            self.lines.append(self.scalar(0))
        head = self.rng.choice(["", "", "", "---\n", "# head\n", "%YAML 1.1\n---\n", "\ufeff"])
        tail = self.rng.choice(["\n", "\n", "", "\n...\n", "\n\n# end\n"])
        return head + "\n".join(self.lines) + tail


# ---- output --------------------------------------------------------------------


def observe(name, text):
    """What PyYAML does with `text`: its data and dump, or its refusal."""
    try:
        data = yaml.safe_load(text)
    except (
        yaml.YAMLError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        OverflowError,
    ) as e:
        return {
            "name": name,
            "yaml": text,
            "data": None,
            "dump": None,
            "error": str(e) or type(e).__name__,
        }
    try:
        return {
            "name": name,
            "yaml": text,
            "data": enc(data),
            "dump": dump(unshare(data)),
            "error": None,
        }
    except TypeError as e:
        # A value authgate has no type for (a set, bytes): the generator should not make these.
        raise AssertionError(f"{name}: PyYAML built {data!r} ({e})") from e


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    out = sys.stdout
    for i in range(count):
        if i % 2 == 0:
            options = rand_dump_options(rng)
            try:
                # Any YAML text will do here (libyaml is faster); what is
                # compared below is pure-Python PyYAML, as the app runs it.
                text = yaml.dump(rand_data(rng), Dumper=FAST_DUMPER, **options)
            except yaml.YAMLError:
                continue
            case = observe(f"data_{i} {json.dumps(options, sort_keys=True)}", text)
        else:
            case = observe(f"text_{i}", Text(rng).document(rng.randint(1, 4)))
        out.write(json.dumps(case, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
