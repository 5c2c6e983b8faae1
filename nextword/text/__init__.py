"""Text in: tokenizing, segmenting, the vocabulary, reading corpora and the corpus pass."""
