from wordstats import count_words, top
from wordstats.cli import main


def test_count_words():
    assert count_words("b a B, a; b!") == {"a": 2, "b": 3}
    assert count_words("") == {}


def test_top():
    assert top("x y y z z z", 2) == [("z", 3), ("y", 2)]


def test_cli(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("b a b"))
    assert main(["1"]) == 0
    assert capsys.readouterr().out == "      2 b\n"
