"""wordstats counts words; the counting runs in a C extension."""

from wordstats._speedups import count_words

__all__ = ["count_words", "top"]


def top(text, n):
    """The n most frequent words of text, most frequent first."""
    counts = count_words(text)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
