"""Presage (the open-source predictive-text platform, Debian's 0.9.1) as a keyboard for
nextword's keystroke benchmark, trained on the same text as nextword.

    python benchmarks/presage_keyboard.py [--train data/kjv.train.raw.txt] [--train-lines 2000]
        [--text data/kjv.valid.raw.txt] [--lines 30] [--suggestions 3] [--folder DIR]

runs the self-check: builds the database, runs presage_simulator, re-types the same text with
the ctypes driver under presage_simulator's convention (the two must agree), then types the
lines with nextword's Typist (nextword/engine/typist.py) through `PresageKeyboard.suggest`.

API
---
- `build_database(training_file, folder, order=3, lowercase=False, suggestions=3) -> path`:
  the n-gram database `folder/presage.db` and, next to it, the configuration
  `folder/presage.xml`; returns the configuration's path (what everything else takes).
- `presage_simulator_savings(config_path, text_file) -> float`: presage_simulator's keystroke
  savings rate (KSR) on text_file, as a fraction (presage prints it in percent);
  `presage_simulator_counts` gives its ki, ks, kn as well.
- `PresageKeyboard(config_path, suggestions=3)`: libpresage through its C API (ctypes).
  `suggest(text, k) -> [PresageSuggestion]` with `.word` (as presage returns it), `.probability`
  (0.0: the C API returns words only), `.kind` ("next" where presage's prefix is empty,
  "completion" inside a word), `.autocorrect` (False), `.replace` (the characters of the typed
  part of the word, presage's prefix). `predict(past)` is one raw, stateful presage_predict.
- `simulate_presage_convention(keyboard, text_file, suggestions) -> SimulatorCounts`:
  presage_simulator's typing convention re-implemented on the ctypes driver.

How the database is built
-------------------------
`text2ngram -n N -f sqlite -o folder/presage.db TRAINING` for N = 1 .. order (3), each run
writing its own table `_N_gram` (word_{N-1} .. word_1, word, count) into the same, freshly
deleted file. text2ngram reads the whole file as one stream of tokens: a token is a run of
characters that are neither blank (space, \\f \\n \\r \\t \\v) nor ASCII punctuation (which
includes the apostrophe and the hyphen: "LORD'S" is "LORD" "S"); punctuation and line ends are
dropped, so n-grams run across verse boundaries; case is kept (lowercase=True passes -l). The
tables are distinct, so the -a (append) option the usual recipe passes to the second and third
runs changes nothing here; it only makes text2ngram look each n-gram up before inserting it.
One artefact is removed: when the file ends in a non-word character (here the final
".\\n"), text2ngram's tokenizer yields one empty token "" at the end (count 1, and the bigram
and trigram ending in it); those rows are deleted so that presage cannot offer "" as a word.
The SmoothedNgramPredictor reads the three tables as-is: candidates come from
`word LIKE 'prefix%'` on the 3-gram table given the last two tokens, topped up from the 2-gram
and then the 1-gram table (60 candidates, MAX_PARTIAL_PREDICTION_SIZE), and each is scored
P = 0.01 f(w) + 0.1 f(w | w-1) + 0.89 f(w | w-2 w-1) (DELTAS, whose count is the order).
Note that SQLite's LIKE ignores ASCII case: "the" and "The" both complete "th", and "LO" is
completed by "lord", "loss" and "love" as well as "LORD".

Which predictors are on
-----------------------
The configuration starts from the installed /etc/presage.xml (the Debian defaults) and changes
only:
- PREDICTORS = DefaultSmoothedNgramPredictor, alone. Off: DefaultAbbreviationExpansionPredictor
  (abbreviations_en.txt), UserSmoothedNgramPredictor (a learning model in ~/.presage/lm.db),
  DefaultRecencyPredictor (words seen in the typed text) and the unlisted Dictionary, Dejavu and
  ARPA predictors. No system database (/usr/share/presage/database_en.db) is read.
- DefaultSmoothedNgramPredictor: DBFILENAME = our database, DELTAS = "0.01 0.1 0.89" (presage's
  default for order 3; order N gives 10^-(N-1) .. 0.1 and the rest to the N-gram), LEARN = false
  (the database is opened read-only).
- ContextTracker ONLINE_LEARNING = no (no predictor is left that could learn; this only makes
  sure), LOWERCASE_MODE = no for a cased database (yes with lowercase=True). Presage's default is
  yes, which lowercases the context tokens before the n-gram lookups, made with '=' (case
  sensitive) while only the completion is matched with LIKE: with a cased database the context
  would then miss every capitalised word (God, LORD, And). Each mode must match its database.
- Selector SUGGESTIONS = the number of suggestions (3; the default is 6).
Everything else is presage's default: REPEAT_SUGGESTIONS = no, GREEDY_SUGGESTION_THRESHOLD = 0,
SLIDING_WINDOW_SIZE = 80, MAX_PARTIAL_PREDICTION_SIZE = 60, COMBINATION_POLICY = Meritocracy,
AUTOPERSIST = false. Presage layers its configuration: compiled-in defaults, /etc/presage.xml,
~/.presage/presage.xml, then the file given (ours); ours sets every variable /etc/presage.xml
has, so a user file cannot change the comparison either.

REPEAT_SUGGESTIONS = no matters: presage's Selector never shows again a word it has shown since
the last "context change". It sees one when the past stream has moved past the end of a word,
judged against a window of the last 80 characters of the stream at the previous prediction:
"brown" -> "brown " or "brown," is a change; "bro" -> "brow" is none, nor is "brown," ->
"brown, " (nothing but punctuation and blanks, after a non-word character). So while a word is
typed, each keystroke shows words not offered yet for it: what was passed over makes room.
`suggest` keeps this (see PresageKeyboard); PresageKeyboard(..., repeat_suggestions=True) turns
it off (then each suggest is one prediction).

presage_simulator's convention (src/tools/presageSimulator.cpp and simulator/simulator.cpp)
------------------------------------------------------------------------------------------
Read in upstream presage's source (the GitHub mirror Manouchehri/presage, 0.9.1 as released in
April 2015; the Debian source is not installed), and confirmed on its verbose output:
- The file is cut with the same tokenizer as text2ngram (blanks and ASCII punctuation separate
  tokens and are dropped); -i lowercases the tokens (only that: it suits a lowercase database
  with LOWERCASE_MODE yes; presage_simulator_savings passes -i exactly when the configuration's
  LOWERCASE_MODE is yes). A file ending in a non-word character yields a last, empty token.
- The whole file is one context: the past stream is the tokens typed so far, each followed by a
  single space (no punctuation, no line breaks), so context runs across lines.
- For each token: predict with the prefix empty; if the token is among the suggestions (exact
  string compare, case included), it is taken: ks += 1, kn += len + 1. Otherwise it types the
  token one character at a time, predicting after each; when offered after i characters,
  ki += i + 1 (i characters and the selection); if never offered, ki += len + 1 (every
  character and the space). The selection inserts the word and its space (autoSpace).
  kn += len(token) + 1 in every case; lengths are bytes (UTF-8).
- KSR = (1 - (ki + ks) / kn) * 100, with ks starting at 1 (not 0).
- So punctuation, line breaks and capitals cost nothing and are not in the baseline, and a word
  taken at its start costs 1 against len + 1. nextword's raw convention (typist.py) counts every
  character of the text, punctuation and capitals included, and an inserted space is deleted
  with a keystroke where the text has none: the figures are not comparable to each other.

Agreement, measured 2026-12-07 (Debian presage 0.9.1; 2 shared CPU cores, times niced)
-------------------------------------------------------------------------------------
3 suggestions. Development sample: database from the first 2,000 lines of
data/kjv.train.raw.txt, text = the first 30 lines of data/kjv.valid.raw.txt:
    presage_simulator:                     ki 1,090, ks 288, kn 3,380, KSR 59.2308%
    simulate_presage_convention (ctypes):  ki 1,090, ks 288, kn 3,380, KSR 59.2308%
(also identical with 1 and 5 suggestions, and with a lowercase database, LOWERCASE_MODE yes
and -i, on the first 5 lines). Full run: database from all 27,992 training lines (13,063
words, 158,878 bigrams, 406,359 trigrams; 25 s), text = all 1,555 held-out lines:
    presage_simulator:                     ki 65,414, ks 15,342, kn 198,278, KSR 59.2713% (323 s)
    simulate_presage_convention (ctypes):  ki 65,414, ks 15,342, kn 198,278, KSR 59.2713% (328 s)
Identical counts (equal ki, ks and kn: every word taken at the same keystroke), as they
should be: the driver gives presage the same past streams in the same order from a fresh
instance, and presage is deterministic. There is no gap to explain.

nextword's Typist (raw convention: every character counts, each line its own context) with
PresageKeyboard.suggest, 3 suggestions, the first 30 held-out lines (3,458 characters):
    database       repetition filter (default)   repeat_suggestions=True   per prediction
    2,000 lines    56.59% (1,501 keystrokes)     55.67% (1,533)            2.3 ms
    27,992 lines   57.49% (1,470 keystrokes)     56.25% (1,513)            4.7 ms
(about 1,250 suggest calls and as many predictions: the replay adds only ~3%; 6 s for the 30
lines with the full database.)
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import re
import string
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from xml.etree import ElementTree

TEXT2NGRAM = "text2ngram"
SIMULATOR = "presage_simulator"
SYSTEM_CONFIG = "/etc/presage.xml"
LIBRARY = "libpresage.so.1"

# presage's character classes (src/lib/core/charsets.h), as bytes of the UTF-8 text it is given
BLANKS = b" \f\n\r\t\v"
SEPARATORS = string.punctuation.encode()  # the 32 ASCII punctuation marks, as presage lists them
WORD_BYTES = (string.ascii_letters + string.digits).encode() + bytes(
    c for c in range(0xC0, 0x100))  # DEFAULT_WORD_CHARS: ASCII letters, digits, Latin-1 letters
NOT_TOKEN = frozenset(BLANKS + SEPARATORS)
WORD = frozenset(WORD_BYTES)

# installed defaults of presage 0.9.1 (/etc/presage.xml), used where that file is missing
_DEFAULT_CONFIG = """<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<Presage>
  <PredictorRegistry>
    <LOGGER>ERROR</LOGGER>
    <PREDICTORS>DefaultAbbreviationExpansionPredictor DefaultSmoothedNgramPredictor
      UserSmoothedNgramPredictor DefaultRecencyPredictor</PREDICTORS>
  </PredictorRegistry>
  <ContextTracker>
    <LOGGER>ERROR</LOGGER>
    <SLIDING_WINDOW_SIZE>80</SLIDING_WINDOW_SIZE>
    <LOWERCASE_MODE>yes</LOWERCASE_MODE>
    <ONLINE_LEARNING>yes</ONLINE_LEARNING>
  </ContextTracker>
  <Selector>
    <LOGGER>ERROR</LOGGER>
    <SUGGESTIONS>6</SUGGESTIONS>
    <REPEAT_SUGGESTIONS>no</REPEAT_SUGGESTIONS>
    <GREEDY_SUGGESTION_THRESHOLD>0</GREEDY_SUGGESTION_THRESHOLD>
  </Selector>
  <PredictorActivator>
    <LOGGER>ERROR</LOGGER>
    <PREDICT_TIME>1000</PREDICT_TIME>
    <MAX_PARTIAL_PREDICTION_SIZE>60</MAX_PARTIAL_PREDICTION_SIZE>
    <COMBINATION_POLICY>Meritocracy</COMBINATION_POLICY>
  </PredictorActivator>
  <ProfileManager>
    <LOGGER>ERROR</LOGGER>
    <AUTOPERSIST>false</AUTOPERSIST>
  </ProfileManager>
  <Predictors>
    <DefaultSmoothedNgramPredictor>
      <PREDICTOR>SmoothedNgramPredictor</PREDICTOR>
      <LOGGER>ERROR</LOGGER>
      <DBFILENAME>/usr/share/presage/database_en.db</DBFILENAME>
      <DELTAS>0.01 0.1 0.89</DELTAS>
      <LEARN>false</LEARN>
      <DatabaseConnector><LOGGER>ERROR</LOGGER></DatabaseConnector>
    </DefaultSmoothedNgramPredictor>
  </Predictors>
</Presage>
"""

PREDICTOR = "DefaultSmoothedNgramPredictor"
DICTIONARY_PREDICTOR = "DefaultDictionaryPredictor"
# The probability presage gives each dictionary word (Debian's default 1e-6): 1e-3 typed the
# first 200 lines of the Shakespeare tail best of 1e-1 .. 1e-9 (38.09%; 1e-6: 37.71%).
DICTIONARY_PROBABILITY = 1e-3


def deltas_for(order: int) -> str:
    """Presage's interpolation weights, lowest order first: "0.01 0.1 0.89" for order 3."""
    low = [10.0 ** -(order - k) for k in range(1, order)]
    return " ".join([f"{d:g}" for d in low] + [f"{1 - sum(low):.10g}"])


# ---------------------------------------------------------------------------------------------
# 1. the database and the configuration

def build_database(training_file, folder, order: int = 3, lowercase: bool = False,
                   suggestions: int = 3) -> str:
    """Builds folder/presage.db (text2ngram, orders 1..order) and folder/presage.xml (only
    the SmoothedNgramPredictor on it); returns the configuration's path."""
    import sqlite3

    folder = os.path.abspath(folder)
    os.makedirs(folder, exist_ok=True)
    database = os.path.join(folder, "presage.db")
    if os.path.exists(database):
        os.remove(database)
    for n in range(1, order + 1):
        command = [TEXT2NGRAM, "-n", str(n), "-f", "sqlite", "-o", database]
        if lowercase:
            command.append("-l")
        command.append(os.path.abspath(training_file))
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    with sqlite3.connect(database) as connection:
        for n in range(1, order + 1):
            columns = ["word"] + [f"word_{i}" for i in range(1, n)]
            connection.execute(f"DELETE FROM _{n}_gram WHERE "
                               + " OR ".join(f"{c} = ''" for c in columns))
            if not connection.execute(f"SELECT COUNT(*) FROM _{n}_gram").fetchone()[0]:
                raise RuntimeError(f"text2ngram wrote no {n}-grams into {database}")
    connection.close()
    return write_config(os.path.join(folder, "presage.xml"), database, order, lowercase,
                        suggestions)


def write_config(path, database, order: int = 3, lowercase: bool = False,
                 suggestions: int = 3, repeat_suggestions: bool | None = None,
                 dictionary: str | None = None,
                 dictionary_probability: float = DICTIONARY_PROBABILITY) -> str:
    """A presage configuration: the installed defaults with only our n-gram predictor on (and
    presage's DictionaryPredictor on the word list `dictionary`, when given)."""
    if os.path.exists(SYSTEM_CONFIG):
        root = ElementTree.parse(SYSTEM_CONFIG).getroot()
    else:
        root = ElementTree.fromstring(_DEFAULT_CONFIG)

    def put(where: str, value: str):
        node = root
        for name in where.split("/"):
            child = node.find(name)
            if child is None:
                child = ElementTree.SubElement(node, name)
            node = child
        node.text = value

    put("PredictorRegistry/PREDICTORS",
        PREDICTOR + (f" {DICTIONARY_PREDICTOR}" if dictionary else ""))
    if dictionary:
        put(f"Predictors/{DICTIONARY_PREDICTOR}/PREDICTOR", "DictionaryPredictor")
        put(f"Predictors/{DICTIONARY_PREDICTOR}/DICTIONARY", os.path.abspath(dictionary))
        put(f"Predictors/{DICTIONARY_PREDICTOR}/PROBABILITY", repr(dictionary_probability))
    base = f"Predictors/{PREDICTOR}"
    put(f"{base}/PREDICTOR", "SmoothedNgramPredictor")
    put(f"{base}/DBFILENAME", os.path.abspath(database))
    put(f"{base}/DELTAS", deltas_for(order))
    put(f"{base}/LEARN", "false")
    put("ContextTracker/LOWERCASE_MODE", "yes" if lowercase else "no")
    put("ContextTracker/ONLINE_LEARNING", "no")
    put("Selector/SUGGESTIONS", str(int(suggestions)))
    if repeat_suggestions is not None:
        put("Selector/REPEAT_SUGGESTIONS", "yes" if repeat_suggestions else "no")
    put("ProfileManager/AUTOPERSIST", "false")
    ElementTree.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path


def write_dictionary(folder) -> str:
    """folder/dictionary.txt: the words of the spelling list nextword reads
    (nextword/text/spelling.py), the most frequent first, one a line, for presage's
    DictionaryPredictor (which offers the first words of the file that begin with the typed
    part, all with one probability)."""
    from nextword.text import spelling

    words, logs = spelling.in_order()
    ranked = sorted(range(len(words)), key=lambda i: (-logs[i], words[i]))
    path = os.path.join(os.path.abspath(folder), "dictionary.txt")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("".join(words[i] + "\n" for i in ranked))
    return path


def read_config(config_path, variable: str) -> str | None:
    """A variable of a presage configuration file ("ContextTracker/LOWERCASE_MODE")."""
    node = ElementTree.parse(config_path).getroot().find(variable)
    return None if node is None else (node.text or "").strip()


def _is_yes(value) -> bool:
    return (value or "").strip().lower() in ("yes", "true", "1", "on")


def config_with_suggestions(config_path, suggestions: int, folder) -> str:
    """A copy of config_path that shows `suggestions` suggestions."""
    root = ElementTree.parse(config_path).getroot()
    root.find("Selector/SUGGESTIONS").text = str(int(suggestions))
    path = os.path.join(folder, f"presage.{suggestions}.xml")
    ElementTree.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path


# ---------------------------------------------------------------------------------------------
# 2. presage_simulator

@dataclass
class SimulatorCounts:
    ki: int  # keystrokes typed (characters, spaces, selections after a prefix)
    ks: int  # selections with an empty prefix, plus 1 (presage_simulator starts it at 1)
    kn: int  # keystrokes without prediction: every token's length + 1

    @property
    def savings(self) -> float:
        """presage_simulator's KSR as a fraction: 1 - (ki + ks) / kn."""
        return 1 - (self.ki + self.ks) / self.kn if self.kn else 0.0


def presage_simulator_counts(config_path, text_file, insensitive: bool | None = None,
                             suggestions: int | None = None) -> SimulatorCounts:
    """Runs `presage_simulator -q -c CONFIG [-i] TEXT` and reads its ki, ks, kn and KSR.
    insensitive (-i): by default, exactly when the configuration's LOWERCASE_MODE is yes."""
    if insensitive is None:
        insensitive = _is_yes(read_config(config_path, "ContextTracker/LOWERCASE_MODE"))
    with tempfile.TemporaryDirectory() as scratch:
        if suggestions is not None:
            config_path = config_with_suggestions(config_path, suggestions, scratch)
        command = [SIMULATOR, "-q", "-c", os.path.abspath(config_path)]
        if insensitive:
            command.append("-i")
        command.append(os.path.abspath(text_file))
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found = re.findall(r"^(ki|ks|kn) : (\d+)$", output, re.MULTILINE)
    counts = {key: int(value) for key, value in found}
    ksr = re.search(r"^KSR: (\S+)$", output, re.MULTILINE)
    if len(counts) != 3 or not ksr:
        raise RuntimeError(f"unexpected presage_simulator output:\n{output}")
    result = SimulatorCounts(counts["ki"], counts["ks"], counts["kn"])
    if abs(100 * result.savings - float(ksr.group(1))) > 1e-3:  # printed with 6 digits
        raise RuntimeError(f"KSR {ksr.group(1)} does not follow from {result}")
    return result


def presage_simulator_savings(config_path, text_file, insensitive: bool | None = None,
                              suggestions: int | None = None) -> float:
    """presage_simulator's keystroke savings rate on text_file, as a fraction (0.6066 for the
    printed "KSR: 60.657")."""
    return presage_simulator_counts(config_path, text_file, insensitive, suggestions).savings


# ---------------------------------------------------------------------------------------------
# 3. the ctypes driver

@dataclass
class PresageSuggestion:
    word: str
    probability: float = 0.0
    kind: str = "next"  # "next" (presage's prefix is empty) or "completion"
    autocorrect: bool = False
    replace: int = 0  # characters at the end of the text the word replaces (the typed prefix)


_Callback = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)  # const char* (*)(void*)


def _load_library():
    library = ctypes.CDLL(ctypes.util.find_library("presage") or LIBRARY)
    handle = ctypes.POINTER(ctypes.c_void_p)
    strings = ctypes.POINTER(ctypes.c_char_p)
    library.presage_new_with_config.argtypes = [_Callback, ctypes.c_void_p, _Callback,
                                                ctypes.c_void_p, ctypes.c_char_p, handle]
    library.presage_new_with_config.restype = ctypes.c_int
    library.presage_free.argtypes = [ctypes.c_void_p]
    library.presage_free.restype = None
    library.presage_predict.argtypes = [ctypes.c_void_p, ctypes.POINTER(strings)]
    library.presage_predict.restype = ctypes.c_int
    library.presage_free_string_array.argtypes = [strings]
    library.presage_free_string_array.restype = None
    library.presage_free_string.argtypes = [ctypes.c_void_p]
    library.presage_free_string.restype = None
    library.presage_config.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                       ctypes.POINTER(ctypes.c_void_p)]
    library.presage_config.restype = ctypes.c_int
    library.presage_config_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    library.presage_config_set.restype = ctypes.c_int
    return library


def prefix_length(text: str) -> int:
    """Characters at the end of text that presage takes for the word being typed: those after
    the last blank or ASCII punctuation mark."""
    at = len(text)
    while at and not (text[at - 1].isascii() and ord(text[at - 1]) in NOT_TOKEN):
        at -= 1
    return len(text) - at


def context_change(window: bytes, past: bytes) -> bool:
    """presage's ContextChangeDetector::context_change_helper: whether presage, whose sliding
    window holds `window`, sees a context change (clearing the words it has shown) at `past`."""
    if not window:
        return bool(past)
    at = past.rfind(window)
    if at < 0:
        return True
    remainder = past[at + len(window):]
    last_word = max((i for i, b in enumerate(remainder) if b in WORD), default=-1)
    if last_word < 0:
        return bool(remainder) and past[at + len(window) - 1] in WORD
    return last_word != len(remainder) - 1


class PresageKeyboard:
    """libpresage as a keyboard: suggest(text, k) -> PresageSuggestion records.

    presage pulls its context through callbacks (presage_new_with_config's past-stream and
    future-stream functions); here the past stream is the text given, the future stream empty.
    presage's words are whole words that complete its prefix (the characters after the last
    blank or ASCII punctuation mark of text); `.replace` is that prefix's length.

    presage is stateful: with REPEAT_SUGGESTIONS = no (its default) it does not show again the
    words it showed since the last context change. `suggest(text, k)` gives what presage shows
    a typist who started the current word (presage's prefix) with a fresh list, as after taking
    a suggestion or finishing a word, and then typed its characters one at a time, seeing k
    suggestions after each: it makes presage see a context change at the word's start and
    replays the word's keystrokes, returning presage's list at text. So the result depends on
    text and k alone (it is cached), the list at a word's start is presage's top k, and within
    a word presage passes over what it has already offered for it. The replay costs nothing
    more where text continues the text of the call before by a character, as a typist's do.
    (Replaying instead every keystroke since the previous word's last letter lets the list
    shown after a comma hide words from the list at the next word's start, which nextword's
    typist never looks at: 53.76% instead of 56.59% on the development sample.)
    With k below the number the typist is shown, slicing a longer list is not the same (the
    words shown, hence filtered, differ): ask for the k the typist sees.
    repeat_suggestions=True sets REPEAT_SUGGESTIONS = yes: then one prediction, no replay.
    """

    def __init__(self, config_path, suggestions: int = 3, repeat_suggestions: bool | None = None):
        self.config_path = os.path.abspath(config_path)
        if not os.path.exists(self.config_path):
            raise FileNotFoundError(self.config_path)
        self.suggestions = int(suggestions)
        self.lib = _load_library()
        self._past = ctypes.create_string_buffer(b"")
        self._future = ctypes.create_string_buffer(b"")
        # the callbacks must outlive presage: they are kept on self
        self._past_callback = _Callback(lambda _: ctypes.addressof(self._past))
        self._future_callback = _Callback(lambda _: ctypes.addressof(self._future))
        self._presage = None
        self.repeat_suggestions = repeat_suggestions
        self.calls = 0  # suggest() calls that were not cached
        self.predictions = 0  # presage_predict calls
        self.predict_seconds = 0.0
        self.reset()

    # -- presage's own API -------------------------------------------------------------------
    def reset(self):
        """A fresh presage (as a new presage_simulator starts): empty window, nothing shown."""
        self.close()
        handle = ctypes.c_void_p()
        self._past = ctypes.create_string_buffer(b"")
        code = self.lib.presage_new_with_config(self._past_callback, None, self._future_callback,
                                                None, self.config_path.encode(),
                                                ctypes.byref(handle))
        if code or not handle.value:
            raise RuntimeError(f"presage_new_with_config failed (error {code})")
        self._presage = handle
        self._shown = None  # the k presage is set to show
        self._window = b""  # presage's sliding window: the end of the last past predicted
        self._chain = None  # (k, past) of the last prediction of a replay, or None
        self._cache = {}
        if self.repeat_suggestions is not None:
            self.set_config("Presage.Selector.REPEAT_SUGGESTIONS",
                            "yes" if self.repeat_suggestions else "no")
        self.repeating = _is_yes(self.config("Presage.Selector.REPEAT_SUGGESTIONS"))
        self.window_size = int(self.config("Presage.ContextTracker.SLIDING_WINDOW_SIZE") or 80)
        self._show(self.suggestions)

    def close(self):
        if self._presage is not None:
            self.lib.presage_free(self._presage)
            self._presage = None

    def __del__(self):
        with suppress(Exception):
            self.close()

    def config(self, variable: str) -> str:
        result = ctypes.c_void_p()
        code = self.lib.presage_config(self._presage, variable.encode(), ctypes.byref(result))
        if code:
            raise RuntimeError(f"presage_config({variable}) failed (error {code})")
        value = ctypes.string_at(result.value).decode()
        self.lib.presage_free_string(result)
        return value

    def set_config(self, variable: str, value: str):
        code = self.lib.presage_config_set(self._presage, variable.encode(), str(value).encode())
        if code:
            raise RuntimeError(f"presage_config_set({variable}) failed (error {code})")

    def _show(self, k: int):
        if k != self._shown:
            self.set_config("Presage.Selector.SUGGESTIONS", str(int(k)))
            self._shown = k
            self._chain = None

    def predict(self, past, k: int | None = None) -> list[str]:
        """One presage_predict with the past stream `past` (str or UTF-8 bytes): presage's
        words, stateful exactly as presage is (its repetition filter, its sliding window)."""
        self._show(self.suggestions if k is None else k)
        data = past if isinstance(past, bytes) else past.encode()
        self._past = ctypes.create_string_buffer(data)
        result = ctypes.POINTER(ctypes.c_char_p)()
        started = time.perf_counter()
        code = self.lib.presage_predict(self._presage, ctypes.byref(result))
        self.predict_seconds += time.perf_counter() - started
        self.predictions += 1
        if code:
            raise RuntimeError(f"presage_predict failed (error {code})")
        words, i = [], 0
        while result[i] is not None:
            words.append(result[i].decode("utf-8", "replace"))
            i += 1
        self.lib.presage_free_string_array(result)
        self._window = data[-self.window_size:] if self.window_size else data
        self._chain = None
        return words

    # -- the keyboard ------------------------------------------------------------------------
    def suggest(self, text: str, k: int | None = None) -> list[PresageSuggestion]:
        k = self.suggestions if k is None else int(k)
        key = (text, k)
        words = self._cache.get(key)
        if words is None:
            self.calls += 1
            words = self._predict_fresh(text, k) if self.repeating else self._replay(text, k)
            self._cache[key] = words
        typed = prefix_length(text)
        kind = "completion" if typed else "next"
        return [PresageSuggestion(word, 0.0, kind, False, typed) for word in words]

    def _predict_fresh(self, text: str, k: int) -> list[str]:
        return self.predict(text, k)

    def _replay(self, text: str, k: int) -> list[str]:
        """presage's list at text after its keystrokes since the start of the current word
        (presage's prefix), presage having seen a context change there."""
        typed = prefix_length(text)
        steps = [text[:j] for j in range(len(text) - typed, len(text) + 1)]
        chain = self._chain
        if chain and chain[0] == k and chain[1] in steps[:-1]:
            steps = steps[steps.index(chain[1]) + 1:]  # presage is already part way
        else:
            first = steps[0].encode()
            if not context_change(self._window, first):  # make presage see the change
                sentinel = next(c for c in b"\x01\x02\x03" if c not in first)
                self.predict(bytes([sentinel]), k)
        words = []
        for step in steps:
            words = self.predict(step, k)
            self._cache.setdefault((step, k), words)
        self._chain = (k, text)
        return words


# ---------------------------------------------------------------------------------------------
# 4. presage_simulator's convention on the driver

def simulator_tokens(data: bytes, lowercase: bool = False) -> list[bytes]:
    """presage_simulator's tokens of a file (its ForwardTokenizer, blanks and punctuation
    separating), including the empty last token of a file ending in a non-token character."""
    tokens, at, end = [], 0, len(data)
    while at < end:
        while at < end and data[at] in NOT_TOKEN:
            at += 1
        start = at
        while at < end and data[at] not in NOT_TOKEN:
            at += 1
        token = data[start:at]
        tokens.append(token.lower() if lowercase else token)  # tolower: ASCII in the C locale
    return tokens


def simulate_presage_convention(keyboard: PresageKeyboard, text_file, suggestions: int = 3,
                                insensitive: bool | None = None) -> SimulatorCounts:
    """presage_simulator (Simulator::simulate) re-typed with the ctypes driver: a fresh
    presage, the file's tokens typed as one stream "token token ... ", the same counting."""
    if insensitive is None:
        insensitive = _is_yes(read_config(keyboard.config_path, "ContextTracker/LOWERCASE_MODE"))
    with open(text_file, "rb") as handle:
        tokens = simulator_tokens(handle.read(), insensitive)
    keyboard.reset()
    k = int(suggestions)
    stream = bytearray()
    ki, ks, kn = 0, 1, 0
    for token in tokens:
        word = token.decode("utf-8", "replace")
        kn += len(token) + 1
        if word in keyboard.predict(bytes(stream), k):
            ks += 1
            stream += token + b" "
            continue
        hit, i = False, 0
        while i < len(token) and not hit:
            stream += token[i:i + 1]
            hit = word in keyboard.predict(bytes(stream), k)
            ki += 1
            i += 1
        stream += token[i:] + b" "
        ki += 1  # the selection, or the space after a word typed in full
    keyboard.reset()
    return SimulatorCounts(ki, ks, kn)


# ---------------------------------------------------------------------------------------------
# the self-check

def _head(path, lines: int, folder, name: str) -> str:
    if not lines:
        return os.path.abspath(path)
    out = os.path.join(folder, name)
    with open(path, encoding="utf-8") as source, open(out, "w", encoding="utf-8") as sink:
        for number, line in enumerate(source):
            if number >= lines:
                break
            sink.write(line)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--train", default=os.path.join(root, "data/kjv.train.raw.txt"))
    parser.add_argument("--train-lines", type=int, default=2000, help="0: all")
    parser.add_argument("--text", default=os.path.join(root, "data/kjv.valid.raw.txt"))
    parser.add_argument("--lines", type=int, default=30, help="0: all")
    parser.add_argument("--typist-lines", type=int, default=30, help="0: as --lines")
    parser.add_argument("--suggestions", type=int, default=3)
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--folder", help="where the database goes (default: a temporary one)")
    args = parser.parse_args(argv)

    scratch = tempfile.TemporaryDirectory()
    folder = args.folder or scratch.name
    os.makedirs(folder, exist_ok=True)
    train = _head(args.train, args.train_lines, folder, "train.txt")
    text = _head(args.text, args.lines, folder, "text.txt")
    started = time.perf_counter()
    config = build_database(train, folder, args.order, suggestions=args.suggestions)
    print(f"database: {time.perf_counter() - started:.1f} s ({config})")

    started = time.perf_counter()
    reference = presage_simulator_counts(config, text)
    print(f"presage_simulator:           {reference} KSR {100 * reference.savings:.4f}%"
          f" ({time.perf_counter() - started:.1f} s)")
    keyboard = PresageKeyboard(config, args.suggestions)
    started = time.perf_counter()
    mine = simulate_presage_convention(keyboard, text, args.suggestions)
    print(f"simulate_presage_convention: {mine} KSR {100 * mine.savings:.4f}%"
          f" ({time.perf_counter() - started:.1f} s)")
    agree = (mine.ki, mine.ks, mine.kn) == (reference.ki, reference.ks, reference.kn)
    print("agreement:", "identical" if agree else
          f"differs by {100 * (mine.savings - reference.savings):+.4f} points")

    sys.path.insert(0, root)
    from nextword.engine.typist import Typist
    from nextword.text.tokenize import surface_tokens

    with open(text, encoding="utf-8") as handle:
        lines = handle.readlines()
    if args.typist_lines:
        lines = lines[:args.typist_lines]
    for repeat in (None, True):
        keyboard = PresageKeyboard(config, args.suggestions, repeat_suggestions=repeat)
        started = time.perf_counter()
        typed = Typist(keyboard.suggest, surface_tokens, (args.suggestions,)).type_lines(lines)
        seconds = time.perf_counter() - started
        n = args.suggestions
        label = "repetition filter (presage default)" if repeat is None else "repeat_suggestions"
        print(f"Typist, {label}: savings {100 * (1 - typed.keystrokes[n] / typed.characters):.2f}%"
              f" ({typed.keystrokes[n]:,} of {typed.characters:,} keystrokes, {len(lines)} lines,"
              f" {typed.accepted[n]:,} taken) in {seconds:.2f} s: {keyboard.calls:,} suggest"
              f" calls, {1000 * seconds / max(keyboard.calls, 1):.2f} ms each;"
              f" {keyboard.predictions:,} presage predictions,"
              f" {1000 * keyboard.predict_seconds / max(keyboard.predictions, 1):.2f} ms each")
        keyboard.close()
    scratch.cleanup()
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
