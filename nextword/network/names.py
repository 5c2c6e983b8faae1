"""Names of the layers in a nextword model file: written by model.py, read by archive.py.

Kept apart from model.py so that reading a file never imports Keras.
"""

CORE_NAME = "language_model"  # the id-to-logits network inside the file's model
VOCAB_NAME = "vocabulary"  # the StringLookup layer that holds the vocabulary
EMBEDDING_NAME = "embedding"
OUTPUT_NAME = "logits"  # the output Dense layer of an untied model
PROJECTION_NAME = "projection"  # units -> embedding size before a tied output layer
NGRAM_NAME = "ngram"  # the NGramMixture layer
HIDDEN_NAME = "hidden"  # the vectors the output layer scores


def rnn_name(index: int) -> str:
    return f"rnn_{index}"
