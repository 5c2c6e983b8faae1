"""The model's Kneser-Ney n-gram tables as an ARPA file (KenLM, SRILM, presage read it).

nextword stores interpolated probabilities as p_n(w|h) = alpha(h, w) + gamma(h) * p_n-1(w|h')
(ngram/kneser_ney.py). ARPA stores back-off: the listed probability of "h w" when it is listed, else
backoff(h) * p(w|h'). The two agree when every listed n-gram carries its full interpolated
probability and backoff(h) = gamma(h). KenLM also needs the listed set closed: a query walks
from the word leftwards and stops at the first missing n-gram, so every suffix of a listed
n-gram is listed, and every context with a back-off weight is listed as an n-gram (pruned
entries and contexts whose entries were all pruned leave gaps there); the n-grams added to
close the set carry the interpolated probability the model gives them, so nothing changes.

nextword's <eol> both ends a line and starts the next. As a predicted word it is </s>; as the
first word of a context it is <s>. An n-gram with <eol> anywhere else spans a line break and
is never used when lines are scored from their start (as KenLM's bos=True scores them): it is
left out. Padding (id 0) is never a word.
"""

from __future__ import annotations

import numpy as np

from ..ngram.kneser_ney import NGramTable
from ..text.vocab import EOL_ID, PAD_ID, UNK_ID

LOG_ZERO = -99.0  # ARPA's log10 of a probability of 0 (<s> is never predicted)


def _valid(grams: np.ndarray) -> np.ndarray:
    """Rows with no padding and <eol> only first (<s>) or last (</s>)."""
    ok = (grams != PAD_ID).all(axis=1)
    if grams.shape[1] > 2:
        ok &= (grams[:, 1:-1] != EOL_ID).all(axis=1)
    return ok


def _unique(grams: np.ndarray) -> np.ndarray:
    return np.unique(grams, axis=0) if len(grams) else grams


class _Tables:
    """The table's arrays indexed for vectorised look-ups of p_n(w|h)."""

    def __init__(self, table: NGramTable):
        self.table = table
        self.vocab_size = table.vocab_size
        # Entries are sorted by context, then word: context index * V + word is sorted too.
        self.entry_keys = []
        for order in table.orders:
            sizes = np.diff(order.starts.astype(np.int64))
            context_of = np.repeat(np.arange(len(order.keys), dtype=np.int64), sizes)
            composite = context_of * self.vocab_size + order.words.astype(np.int64)
            if np.any(np.diff(composite) <= 0):  # not written by kneser_ney.py as expected
                raise ValueError("n-gram entries are not sorted by context and word")
            self.entry_keys.append(composite)

    def context_index(self, contexts: np.ndarray):
        """(found, index) of each context row (rows, n-1) in order n's contexts."""
        keys, shorter = self.table.find(contexts)
        where, found = self.table.search(contexts.shape[1] + 1, keys)
        return found & shorter, where

    def probability(self, grams: np.ndarray) -> np.ndarray:
        """p_n(w|h) of each row (h..., w) of an (rows, n) array, as kneser_ney.py computes it."""
        n = grams.shape[1]
        if n == 1:
            return self.table.unigram.astype(np.float64)[grams[:, 0]]
        lower = self.probability(grams[:, 1:])
        order = self.table.orders[n - 2]
        if len(order.keys) == 0:
            return lower
        found, where = self.context_index(grams[:, :-1])
        result = lower.copy()
        rows = np.flatnonzero(found)
        gamma = order.gammas[where[rows]].astype(np.float64)
        result[rows] = gamma * lower[rows]
        composite = where[rows] * self.vocab_size + grams[rows, -1]
        keys = self.entry_keys[n - 2]
        at = np.minimum(np.searchsorted(keys, composite), max(len(keys) - 1, 0))
        listed = keys[at] == composite if len(keys) else np.zeros(len(rows), bool)
        result[rows[listed]] += order.alphas[at[listed]].astype(np.float64)
        return result

    def backoff(self, grams: np.ndarray) -> np.ndarray:
        """gamma of each row as a context (1.0 where it is not one, or ends a line)."""
        n = grams.shape[1]
        result = np.ones(len(grams))
        if n >= self.table.order:
            return result
        order = self.table.orders[n - 1]
        if len(order.keys) == 0:
            return result
        found, where = self.context_index(grams)
        found &= grams[:, -1] != EOL_ID if n > 1 else True
        result[found] = order.gammas[where[found]]
        return result


def arpa_ngrams(table: NGramTable) -> dict:
    """The n-grams to write for each order >= 2: {n: (rows, n) ids}, closed as KenLM needs."""
    grams = {}
    above = None
    for n in range(table.order, 1, -1):
        order = table.orders[n - 2]
        sizes = np.diff(order.starts.astype(np.int64))
        contexts = table.context_ids(n)
        parts = [np.column_stack([np.repeat(contexts, sizes, axis=0), order.words])]
        if n < table.order:  # contexts of the order above, as n-grams
            parts.append(table.context_ids(n + 1))
        if above is not None:  # the closure: suffixes and prefixes of what is listed above
            parts += [above[:, 1:], above[:, :-1]]
        found = np.concatenate(parts).astype(np.int64)
        grams[n] = _unique(found[_valid(found)])
        above = grams[n]
    return grams


def _format(log10: np.ndarray) -> list[str]:
    return [f"{value:.6f}" for value in log10.tolist()]


def _log10(probabilities: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.maximum(np.log10(probabilities), LOG_ZERO)


def write_arpa(table: NGramTable, tokens: list, path: str) -> dict:
    """Write table as an ARPA file at path; returns the number of n-grams of each order."""
    tables = _Tables(table)
    words = np.array(list(tokens), dtype=object)
    words[UNK_ID] = "<unk>"
    grams = arpa_ngrams(table)
    unigrams = np.array([i for i in range(len(tokens)) if i != PAD_ID], dtype=np.int64)[:, None]
    counts = {1: len(unigrams) + 1}  # +1: <s>
    counts.update((n, len(grams[n])) for n in sorted(grams))
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("\\data\\\n")
        for n, count in counts.items():
            handle.write(f"ngram {n}={count}\n")
        for n in counts:
            rows = unigrams if n == 1 else grams[n]
            handle.write(f"\n\\{n}-grams:\n")
            probabilities = _format(_log10(tables.probability(rows)))
            with_backoff = n < table.order
            backoffs = _format(_log10(tables.backoff(rows))) if with_backoff else None
            # <eol> first is <s>, anywhere else </s> (only last, after _valid).
            names = words[rows]
            names[:, 1:][rows[:, 1:] == EOL_ID] = "</s>"
            names[:, 0][rows[:, 0] == EOL_ID] = "<s>" if n > 1 else "</s>"
            if n == 1:
                start = tables.backoff(np.array([[EOL_ID]]))
                handle.write(f"{LOG_ZERO:.6f}\t<s>\t{_format(_log10(start))[0]}\n")
            lines = [" ".join(row) for row in names.tolist()]
            for index, (probability, ngram) in enumerate(zip(probabilities, lines)):
                if with_backoff and not (n == 1 and rows[index, 0] == EOL_ID):
                    handle.write(f"{probability}\t{ngram}\t{backoffs[index]}\n")
                else:
                    handle.write(f"{probability}\t{ngram}\n")
        handle.write("\n\\end\\\n")
    return counts
