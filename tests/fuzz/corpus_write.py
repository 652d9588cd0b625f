"""The seed corpus writer the make-*-corpus.py scripts share."""

import os


def write_corpus(dirname, seeds):
    """Replaces tests/fuzz/DIRNAME with the files of `seeds` (name -> bytes)."""
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), dirname)
    os.makedirs(corpus, exist_ok=True)
    for name in os.listdir(corpus):
        os.remove(os.path.join(corpus, name))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)
