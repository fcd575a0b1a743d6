"""Configuration: conf.py, d2lbook's config.ini, validation messages, the generated docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from polybook import docs
from polybook.errors import ConfigError
from polybook.source.config import load_config

PROJECT = Path(__file__).resolve().parents[1]


def test_our_conf_py() -> None:
    config = load_config(PROJECT)
    assert [fw.name for fw in config.frameworks] == ["pytorch", "tensorflow", "mxnet"]
    assert config.languages[0] == "en"
    assert config.pages_root == PROJECT / "chapters"
    assert config.title and config.author


def test_d2lbook_config_ini(corpus: Path) -> None:
    config = load_config(corpus)
    assert config.config_file.endswith("config.ini")
    assert config.name == "d2l-en"
    assert config.title == "Dive into Deep Learning"
    assert [fw.name for fw in config.frameworks] == ["pytorch", "mxnet", "jax", "tensorflow"]
    assert "README.md" in config.exclude
    torch = config.library["pytorch"]
    assert torch.lib_name == "torch"
    assert ("concat", "cat") in torch.simple_alias
    assert ("numpy", "detach().numpy") in torch.fluent_alias
    assert ("nn_Module", "nn.Module") in torch.alias
    assert ("size", "lambda a: a.size") in config.library["mxnet"].alias


def test_framework_names_are_case_insensitive(make_book) -> None:  # type: ignore[no-untyped-def]
    root = make_book({"index.md": "# x\n"}, frameworks=("PyTorch", "TF"))
    config = load_config(root)
    assert [fw.name for fw in config.frameworks] == ["pytorch", "tensorflow"]
    assert config.select_frameworks("TensorFlow") == (config.frameworks[1],)
    with pytest.raises(ConfigError, match="'mxnet' is not one of the book's: pytorch, tensorflow"):
        config.select_frameworks("mxnet")


def test_a_new_framework_is_configuration(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text(
        "polybook_frameworks = ['pytorch',\n"
        "    {'name': 'Paddle', 'display': 'PaddlePaddle', 'module': 'paddle'}]\n"
    )
    config = load_config(tmp_path)
    paddle = config.frameworks[1]
    assert (paddle.name, paddle.display, paddle.module, paddle.kernel) == (
        "paddle",
        "PaddlePaddle",
        "paddle",
        "polybook-paddle",
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("polybook_frameworks = ['pytorch', 'theano']", "polybook_frameworks = .*unknown framework 'theano'"),
        ("polybook_frameworks = []", "polybook_frameworks = \\[\\]: expected a non-empty list"),
        ("polybook_frameworks = ['mxnet', 'MXNet']", "listed twice"),
        ("polybook_timeout = -1", "polybook_timeout = -1: expected a positive number"),
        ("project = 3", "project = 3: expected text"),
        ("polybook_max_memory = 'lots'", "polybook_max_memory = 'lots': 'lots' is not a size such as 8G"),
        ("polybook_max_output = -5", "polybook_max_output = -5: expected a positive size"),
        ("polybook_cache = 3", "polybook_cache = 3: expected text"),
    ],
)
def test_bad_values_name_key_value_and_file(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "conf.py").write_text(line + "\n")
    with pytest.raises(ConfigError, match=message) as info:
        load_config(tmp_path)
    assert str(info.value).startswith(str(tmp_path / "conf.py"))
    assert str(info.value).endswith("[polybook.config]")


def test_sizes_read_as_people_write_them(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text("polybook_max_memory = '8G'\npolybook_max_output = '512 KB'\n")
    config = load_config(tmp_path)
    assert (config.max_memory, config.max_output) == (8 * 2**30, 512 * 2**10)
    assert load_config(_empty(tmp_path / "defaults")).max_output == 5 * 2**20


def _empty(folder: Path) -> Path:
    folder.mkdir()
    (folder / "conf.py").write_text("")
    return folder


def test_bad_ini_value_names_section_and_key(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text("[build]\ntabs = pytorch, caffe\n")
    with pytest.raises(ConfigError, match=r"build\.tabs = 'pytorch, caffe'"):
        load_config(tmp_path)


def test_no_configuration(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no conf\.py or config\.ini"):
        load_config(tmp_path)


def test_contributing_tables_are_generated() -> None:
    text = (PROJECT / "CONTRIBUTING.md").read_text()
    assert docs.render(text) == text, "run: python -m polybook.docs"
    assert "polybook.save-target" in text and "polybook_frameworks" in text
