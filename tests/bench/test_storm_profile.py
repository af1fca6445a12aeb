"""The profile summariser of the storm: py-spy's collapsed stacks into frames and areas."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.storm import profile

# Three stacks of py-spy's collapsed format: "frame;frame;frame count".
COLLAPSED = """\
run (loop.py:1);_flush (group_commit.py:9);commit_batch (flow_batch.py:300) 6
run (loop.py:1);on_answer (namespaces.py:5) 3
run (loop.py:1);select (selectors.py:2) 1
not a sample line
"""


@pytest.fixture
def collapsed(tmp_path: Path) -> Path:
    path = tmp_path / "real-room2000-game.txt"
    path.write_text(COLLAPSED)
    return path


def test_summary_counts_self_and_total_samples(collapsed: Path) -> None:
    summary = profile.summarise(collapsed)
    assert summary.startswith("real-room2000-game.txt: 10 samples")
    assert "   60.0  commit_batch (flow_batch.py:300)" in summary
    assert "  100.0  run (loop.py:1)" in summary


def test_areas_give_each_sample_the_first_area_in_its_stack(collapsed: Path) -> None:
    shares = profile.areas(collapsed)
    assert shares == {"writer: commit a batch": 6, "answer: room and handler": 3,
                      "event loop and other": 1}
    table = profile.areas_table([collapsed])
    assert "writer: commit a batch" in table and "60.0%" in table


def test_the_command_line_prints_areas(collapsed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile.main(["--areas", str(collapsed)])
    out = capsys.readouterr().out
    assert "samples" in out and "30.0%" in out


def test_the_command_line_refuses_a_missing_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        profile.main([str(tmp_path / "absent.txt")])
    assert exit_info.value.code == 2
    assert "no such file" in capsys.readouterr().err
