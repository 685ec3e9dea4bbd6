"""A file whose YAML document is empty (`~`, `null`, `---`, nothing at all) is refused, never loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.cli import main
from dialplans.loader import DialplanError, load_dialplan
from tests.support.dialplans import WriteYaml, messages

NO_MAPPING = "the document is empty (a null value): a dialplan is a mapping of `key: value` lines"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("~\n", "1:1"),
        ("null\n", "1:1"),
        ("NULL\n", "1:1"),
        ("--- ~\n", "1:5"),
        ("---\n", "1:1"),
        ("---\n...\n", "1:1"),
    ],
)
def test_a_null_document_is_an_error_at_its_position(plan_file: WriteYaml, text: str, where: str) -> None:
    path = plan_file(text)
    assert messages(path) == [f"plan.yaml:{where}: {NO_MAPPING}, and needs at least `menus` and `dids`"]
    with pytest.raises(DialplanError, match="the document is empty"):
        load_dialplan(path)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_a_file_without_a_document_is_an_error(plan_file: WriteYaml, text: str) -> None:
    path = plan_file(text)
    assert messages(path) == [
        "plan.yaml:1:1: the file is empty; a dialplan needs at least `menus` and `dids`"
    ]
    with pytest.raises(DialplanError, match="the file is empty"):
        load_dialplan(path)


@pytest.fixture
def null_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "null.yaml"
    path.write_text("~\n", encoding="utf-8")
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("CALLCENTER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CALLCENTER_ESL_PASSWORD", raising=False)
    return path


@pytest.mark.parametrize("command", [["validate"], ["render", "--out", "conf"], ["serve"]])
def test_every_command_prints_the_same_clear_error(
    null_plan: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(command) == 1
    output = capsys.readouterr()
    assert f"{null_plan}:1:1: {NO_MAPPING}" in output.out + output.err
