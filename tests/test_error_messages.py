"""Errors speak both languages: every raise passes a catalogue msgid and its placeholders' values.

The checks on the source are static (the AST of ``bsu_models/`` and ``viewer/``), so a raise
site that would build its sentence in English only, or would fail with ``KeyError`` while
formatting, is found without having to reach it.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from bsu_models.core import errors
from bsu_models.core.i18n import KEYWORDS, error_text, localise
from tests.conftest import REPO

ERROR_CLASSES = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, errors.BsuError)
}
#: Keyword arguments that are not placeholders.
NOT_PLACEHOLDERS = {"candidates"}
SOURCES = sorted(
    path
    for folder in ("bsu_models", "viewer")
    for path in (REPO / folder).rglob("*.py")
    if "__pycache__" not in path.parts
)


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _message_calls(path: Path) -> list[tuple[int, str, ast.Call]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _called_name(node)
            if name in ERROR_CLASSES or name == "Message":
                found.append((node.lineno, name, node))
    return found


def _fields(template: str) -> set[str]:
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            names.add(field.split(".")[0].split("[")[0])
    return names


def _problems(path: Path) -> list[str]:
    problems = []
    where = path.relative_to(REPO)
    for lineno, name, call in _message_calls(path):
        if not call.args:
            continue  # e.g. a class statement's base, or a re-raise of a built error
        first = call.args[0]
        if isinstance(first, ast.Name):
            continue  # a Message built earlier (its own call is checked where it is built)
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            problems.append(f"{where}:{lineno}: {name}(...) needs a literal msgid")
            continue
        given = {k.arg for k in call.keywords if k.arg is not None} - NOT_PLACEHOLDERS
        spread = any(k.arg is None for k in call.keywords)
        try:
            wanted = _fields(first.value)
        except ValueError as exc:
            problems.append(f"{where}:{lineno}: bad placeholder syntax ({exc})")
            continue
        if not given and not spread and not wanted:
            continue
        if not spread and wanted != given:
            problems.append(
                f"{where}:{lineno}: placeholders {sorted(wanted)} but values for {sorted(given)}"
            )
    return problems


def test_every_error_and_message_is_a_literal_msgid_with_matching_values():
    problems = [problem for path in SOURCES for problem in _problems(path)]
    assert not problems, "\n".join(problems)


def test_the_checker_catches_an_f_string_and_a_missing_value(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "raise NotFound(f'There is no case {ref}.')\n"
        "raise Conflict('Case {ref!r} exists.', reference=1)\n"
        "raise InvalidInput('Fine {a}.', a=1)\n"
    )
    # The checker reports paths relative to the repository.
    inside = REPO / "tests" / "_checker_probe.py"
    inside.write_text(bad.read_text())
    try:
        problems = _problems(inside)
    finally:
        inside.unlink()
    assert len(problems) == 2
    assert "literal msgid" in problems[0]
    assert "['ref']" in problems[1] and "['reference']" in problems[1]


def test_every_error_class_is_an_extraction_keyword():
    assert set(KEYWORDS) >= ERROR_CLASSES
    assert "Message" in KEYWORDS


# -- translating errors ---------------------------------------------------------------------------


def test_an_error_is_english_by_str_and_chinese_by_error_text():
    error = errors.NotFound("There is no case {reference!r}.", reference="KC-1")
    assert str(error) == "There is no case 'KC-1'."
    chinese = error_text(error, "zh_HK")
    assert "KC-1" in chinese and chinese != str(error)
    assert error_text(error, "en") == str(error)


def test_nested_messages_are_translated_and_user_text_is_not():
    field = errors.Message("Entity label")
    error = errors.InvalidInput("{what} is empty.", what=field)
    assert str(error) == "Entity label is empty."
    chinese = error_text(error, "zh_HK")
    assert "Entity label" not in chinese
    # A plain string value is user data: never translated, even when it is a msgid.
    assert localise(
        errors.InvalidInput("{what} is empty.", what="Entity label"), "zh_HK"
    ).startswith("Entity label")


def test_errors_survive_pickling_and_json_with_their_values():
    import pickle

    error = errors.AmbiguousUpload(
        "{label} holds {count} meshes; choose one: {names}.",
        candidates=["a.obj", "b.obj"],
        label="x.zip",
        count=2,
        names="a.obj, b.obj",
    )
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is errors.AmbiguousUpload
    assert again.candidates == ["a.obj", "b.obj"] and str(again) == str(error)
    nested = errors.Message("{what} is empty.", what=errors.Message("Entity label"))
    assert errors.Message.from_json(nested.to_json()) == nested


@pytest.mark.parametrize("lang", ["en", "zh_HK"])
def test_every_error_msgid_formats_in_both_languages(lang):
    """Each translated error sentence formats with the values its raise site gives."""
    from bsu_models.core.i18n import translator

    tr = translator(lang)
    for path in SOURCES:
        for lineno, _name, call in _message_calls(path):
            if not call.args or not isinstance(call.args[0], ast.Constant):
                continue
            template = call.args[0].value
            text = tr.gettext(template)
            try:
                text.format(**{field: _Anything() for field in _fields(template)})
            except (KeyError, IndexError, ValueError) as exc:
                pytest.fail(f"{path.name}:{lineno}: {lang} text of {template!r} fails: {exc!r}")


class _Anything:
    """Accepts any format spec, so only the names of placeholders are tested."""

    def __format__(self, spec: str) -> str:
        return "x"

    def __repr__(self) -> str:
        return "'x'"
