"""Text written without spaces: the tokenizers, spelling unknown words, writing Chinese back,
completion, bits per character, and English models unchanged."""

import json
import zipfile

import pytest
import regex
from cli_helpers import assert_one_line_error, run

from nextword.text.segment import choose
from nextword.text.tokenize import detokenize, tokenize
from nextword.text.vocab import UNK, Vocabulary

ARTICLE = "我们将使用Python的Keras库来构建一个简单的RNN模型，用于预测自然语言文本中的下一个词。"
CORPUS = """我们将使用Python的Keras库来构建一个简单的RNN模型，用于预测自然语言文本中的下一个词。
我们使用模型来预测下一个词。
自然语言处理是人工智能的一个重要领域。
我们可以使用循环神经网络来处理文本。
这个模型可以预测文本中的下一个词，也可以生成新的文本。
人工智能正在改变我们的生活和工作。
使用简单的模型也可以得到不错的结果。
"""


def test_chinese_text_is_cut_into_words_not_clauses():
    tokens = tokenize(ARTICLE, tokenizer="chinese")
    assert tokens[:8] == ["我们", "将", "使用", "python", "的", "keras", "库", "来"]
    assert "模型" in tokens and "，" in tokens and tokens[-1] == "。"
    assert max(len(t) for t in tokens if not t.isascii()) <= 4  # no clause-long "words"
    assert tokenize(ARTICLE, tokenizer="words")[0] == "我们将使用python的keras库来构建一个简单的rnn模型"


def test_mixed_text_keeps_latin_words_urls_and_digits_as_in_english():
    text = "访问 https://example.com/a 看看 version 2.0 的 don't 说明"
    tokens = tokenize(text, tokenizer="chinese")
    english = tokenize("https://example.com/a version 2.0 don't")
    assert [t for t in tokens if t.isascii()] == english
    assert "访问" in tokens and "说明" in tokens


def test_kana_and_chars_tokenizer_give_characters():
    assert tokenize("これはペンです", tokenizer="chinese") == list("これはペンです")
    assert tokenize("我们使用", tokenizer="chars") == ["我", "们", "使", "用"]
    assert tokenize("so we use keras", tokenizer="chars") == tokenize("so we use keras")


def test_auto_chooses_from_the_scripts():
    assert choose("In the beginning God created the heaven and the earth.") == "words"
    assert choose(CORPUS) == "chinese"
    assert choose("これはペンです。あれは本です。") == "chars"
    assert choose("An English text with one word 中文 inside it, and more English.") == "words"


def test_chinese_is_written_back_without_spaces():
    assert detokenize(tokenize(ARTICLE, tokenizer="chinese")) == ARTICLE.lower()
    assert detokenize(["他", "说", "：", "“", "走", "吧", "！", "”"]) == "他说：“走吧！”"
    assert detokenize(["使用", "python", "and", "keras", "。"]) == "使用python and keras。"
    assert detokenize(["and", "god", "said", ",", "let"]) == "and god said, let"


def test_unknown_chinese_words_are_spelled_as_characters():
    counts = {"我们": 5, "使用": 3, "模型": 1, "python": 4, "\n": 2}
    vocabulary = Vocabulary.build(counts, max_vocab=100, min_count=2, spell=True)
    assert {"我", "们", "使", "用", "模", "型"} <= set(vocabulary.tokens)  # every character
    assert "模型" not in vocabulary.index  # a word seen once: cut, but spelled
    assert vocabulary.pieces("我们") == ["我们"]
    assert vocabulary.pieces("用们") == ["用", "们"]  # unseen word, seen characters
    assert vocabulary.pieces("模型") == ["模", "型"]
    assert vocabulary.pieces("pyth") == ["p", "y", "t", "h"]  # English inside Chinese too
    assert vocabulary.pieces("龘龘") == [UNK, UNK]  # characters never seen
    assert len(vocabulary.encode(["我们", "用们", "python"])) == 4
    small = Vocabulary.build(counts, max_vocab=8, min_count=1, spell=True)
    assert all(len(token) == 1 for token in small.tokens[3:])  # characters come first
    reserved = Vocabulary.build(counts, max_vocab=100, min_count=2, spell=True,
                                reserved=["蚌", "鹬", "我"])
    assert {"蚌", "鹬"} <= set(reserved.tokens)  # unseen but kept, after the seen characters
    assert reserved.tokens.index("蚌") > reserved.tokens.index("p")
    assert reserved.pieces("鹬蚌") == ["鹬", "蚌"]
    plain = Vocabulary.build(counts, max_vocab=100, min_count=2)
    assert plain.pieces("模型") == [UNK] and "我" not in plain.index


@pytest.fixture(scope="module")
def chinese_model(tmp_path_factory):
    from nextword import Config
    from nextword.training.pipeline import train

    folder = tmp_path_factory.mktemp("zh")
    corpus = folder / "zh.txt"
    corpus.write_text(CORPUS * 6, encoding="utf-8")
    output = str(folder / "zh.keras")
    train([str(corpus)], Config(units=32, embedding_dim=16, sequence_length=8, batch_size=8,
                                epochs=4, max_minutes=0, min_count=1, validation_split=0.2,
                                dropout=0.0, seed=3, learning_rate=0.01), output,
          verbose=0, log=lambda line: None)
    return output, str(corpus)


def test_chinese_model_saves_its_tokenizer_and_completes_words(chinese_model):
    import nextword

    path, _ = chinese_model
    predictor = nextword.load(path)
    assert predictor.config.tokenizer == "chinese"
    assert "使用" in [word for word, _ in predictor.complete("我们将使", k=5)]
    assert all(word.startswith("使") for word, _ in predictor.complete("我们将使", k=5))
    suggestions = run("complete", "我们将使", "-m", path).stdout.splitlines()
    assert suggestions and all(line.startswith("使") for line in suggestions)
    text = run("generate", "我们", "-m", path, "--seed", "1", "-n", "8").stdout.strip()
    assert text.startswith("我们") and not regex.search(r"\p{Han} \p{Han}", text)


def test_evaluate_reports_bits_per_character(chinese_model, tmp_path):
    path, corpus = chinese_model
    report = json.loads(run("evaluate", corpus, "-m", path, "--json").stdout)
    with open(corpus, encoding="utf-8") as handle:
        assert report["characters"] == len(handle.read())
    assert 0 < report["bits_per_character"] < 8
    assert report["unscored_character_rate"] == 0  # every character was seen in training
    unseen = tmp_path / "unseen.txt"
    unseen.write_text("我们使用龘模型。\n", encoding="utf-8")  # 龘: never seen
    report = json.loads(run("evaluate", str(unseen), "-m", path, "--json").stdout)
    assert report["unscored_character_rate"] == pytest.approx(1 / 9)  # 1 of 9 characters


def test_chinese_vocabularies_reserve_the_gb2312_characters():
    from nextword.text.segment import reserved_characters

    characters = reserved_characters("chinese")
    assert len(characters) == 6763 and "蚌" in characters and "龘" not in characters
    assert reserved_characters("words") == []


def test_file_of_chinese_punctuation_only(tmp_path):
    corpus = tmp_path / "punctuation.txt"
    corpus.write_text("，。！？、：；「」《》\n" * 20, encoding="utf-8")
    assert_one_line_error(run("train", str(corpus), "-o", str(tmp_path / "m.keras")),
                          "no words found")


def test_english_model_unchanged_by_the_tokenizer_option(trained, tmp_path):
    """A file from before the option (no tokenizer saved) reads as `words`, bit for bit."""
    import numpy as np

    import nextword

    path, _ = trained
    now = nextword.load(path)
    assert now.config.tokenizer == "words"  # auto chose words for the English corpus
    older = tmp_path / "older.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(older, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "nextword.json":
                meta = json.loads(data)
                del meta["config"]["tokenizer"]
                data = json.dumps(meta)
            target.writestr(name, data)
    before = nextword.load(str(older))
    assert before.config.tokenizer == "words"
    for prefix in ("and god said", "café and the earth", "中文 and the"):
        np.testing.assert_array_equal(before.distribution(prefix), now.distribution(prefix))


def test_learning_chinese_adds_whole_words(chinese_model):
    import nextword

    path, _ = chinese_model
    predictor = nextword.load(path)
    assert "深度" not in predictor.vocabulary.index  # spelled as characters before
    assert predictor.vocabulary.encode(["深度"]) != [1]
    learned = predictor.learn("我们将使用深度学习模型。\n深度学习很有用。\n" * 3)
    assert learned["new words"] >= 2 and "深度" in predictor.vocabulary.index
    assert [word for word, _ in predictor.complete("我们将使用深", k=1)] == ["深度"]
    assert "深度" in [word for word, _ in predictor.predict("我们将使用", k=3)]
    assert predictor.generate("我们将使用深度", words=1, strategy="greedy") == "学习"
