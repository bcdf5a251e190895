"""Every catalog entry rendered in both languages with sample values, as people will read it (issue 16, item 8).

A count goes through tr.plural with 0, 1, 2 and 19 279; every other placeholder gets a plausible value of its own.
Fails on a plural written by hand "(s)", doubled spaces or punctuation, a sentence left untranslated, and
common English words in the French catalog.
"""

import re
import string

import pytest

from bot.i18n import CATALOGS, translator

COUNTS = (0, 1, 2, 19279)
SAMPLES = {  # placeholder -> (fr, en)
    "title": ("Matinées de rédaction", "Writing mornings"),
    "outlet": ("UdeM — Facebook", "UdeM — Facebook"),
    "date": ("mardi 1er décembre 2026", "Tuesday, December 1, 2026"),
    "day": ("1er déc.", "Dec 1"),
    "owner": ("<@U0123>", "<@U0123>"),
    "user": ("<@U0456>", "<@U0456>"),
    "id": ("12", "12"),
}
# Entries laid out in columns (help screens, console prompts): their inner runs of spaces are deliberate.
ALIGNED = {"console.help", "console.confirm", "help.propose", "help.stats", "check.failed_row", "cli.help"}


def plural_stems(language):
    return sorted({key.rsplit(".", 1)[0] for key in CATALOGS[language] if key.endswith((".one", ".other"))})


def params_of(text):
    return sorted({name for _, name, _, _ in string.Formatter().parse(text) if name})


def values(names, language):
    """A distinct plausible word for each placeholder, so a repeated word in the result is the catalog's."""
    out = {}
    for i, name in enumerate(names):
        if name in SAMPLES:
            out[name] = SAMPLES[name][0 if language == "fr" else 1]
        else:
            out[name] = ("Vernissage", "Colloque", "Exposition", "Atelier", "Conférence", "Lancement")[i % 6]
    return out


def renderings(language):
    """(key, text) for every entry: plural entries through tr.plural with each sample count."""
    tr = translator(language)
    catalog = CATALOGS[language]
    stems = plural_stems(language)
    plural_keys = {f"{s}.{form}" for s in stems for form in ("one", "other")}
    for key, text in sorted(catalog.items()):
        if key not in plural_keys:
            yield key, tr(key, **values(params_of(text), language))
    for stem in stems:
        names = [n for n in params_of(catalog[f"{stem}.one"] + catalog[f"{stem}.other"]) if n != "count"]
        for count in COUNTS:
            yield f"{stem}[{count}]", tr.plural(stem, count, **values(names, language))


ALL = [(language, key, text) for language in ("fr", "en") for key, text in renderings(language)]


def prose(text):
    """The text people read as sentences: addresses, `code` and :emoji: stand as one word."""
    return re.sub(r"https?://\S+|`[^`]*`|:[a-z_+-]+:", "CODE", text)


@pytest.mark.parametrize("language,key,text", ALL, ids=[f"{lang}:{key}" for lang, key, _ in ALL])
def test_reads_cleanly(language, key, text):
    assert "(s)" not in text
    if key.split("[")[0] not in ALIGNED:
        for line in text.splitlines():
            assert "  " not in line.strip(), line
    p = prose(text)
    # ", ," ": ," ", ." "word ," "word ." (but not "déc., ", ".ics", ":cancel", "…" or "...")
    assert not re.search(
        r"[,;:]\s*[,;]|\.\s*;|[,;]\s*[.:](?!\w)|(?<![.…])\.\s+\.(?!\.)|(?<!\.)\.\.(?!\.)| [,.](?![.\w])", p
    ), p
    assert not re.search(r"\b(\w{2,}) \1\b", p, re.IGNORECASE), p


def test_the_samples_go_through_the_plural_rule():
    fr, en = translator("fr"), translator("en")
    assert "19\u00a0279" in fr.plural("stats.views", 19279)
    assert fr.plural_form(0) == fr.plural_form(1) == "one" and fr.plural_form(2) == "other"
    assert en.plural_form(0) == "other" and en.plural_form(1) == "one"


def test_a_proposal_is_numbered_the_same_way_everywhere():
    """n° 12 in French, #12 in English."""
    assert [k for k, v in CATALOGS["fr"].items() if re.search(r"(?<!<)#\{", v)] == []
    assert [k for k, v in CATALOGS["en"].items() if "n° {" in v] == []


# Words that give an English sentence away (values people type, such as `closure`, are in `code` or config words).
ENGLISH = re.compile(
    r"\b(the|and|with|of the|your|please|this|these|is|are|was|were|not|should|must|cannot|only|from|which)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("key", sorted(CATALOGS["fr"]))
def test_no_english_words_in_french(key):
    text = re.sub(r"https?://\S+|`[^`]*`|:[a-z_+-]+:|\{[a-z_]+\}", "", CATALOGS["fr"][key])
    assert not ENGLISH.findall(text), text


def words(text):
    return re.findall(r"[A-Za-zÀ-ÿ']+", re.sub(r"\{[a-z_]+\}|`[^`]*`|:[a-z_+-]+:|https?://\S+", "", text))


@pytest.mark.parametrize("key", sorted(CATALOGS["fr"]))
def test_every_sentence_is_translated(key):
    """A sentence (three words or more) that reads the same in both catalogs was left untranslated."""
    fr, en = CATALOGS["fr"][key], CATALOGS["en"][key]
    assert fr != en or len(words(fr)) < 3, f"{key} reads the same in both languages: {fr!r}"


def test_the_checks_can_fail():
    assert re.search(r"[,;:.]\s*[,;]", prose("voyez : , ici"))
    assert ENGLISH.findall("Relais: the proposal")
    assert len(words("Proposal closed for {title}")) >= 3
