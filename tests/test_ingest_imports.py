"""`mem ingest` of what people export (issue 15, "Imports"): ChatGPT code, voice, attachments and
canvas; the site's .zip; Claude content blocks, attachments, placeholders and projects; the MCP
memory server's graph; the simple records JSONL."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


@pytest.fixture(autouse=True)
def text_only(mem_home: Path) -> None:
    mem_home.mkdir(parents=True, exist_ok=True)
    (mem_home / "config.toml").write_text('[embed]\nmodel = "none"\n')


def records(mem, *args: str) -> list[dict]:
    return sorted(mem.json("list", "--limit", "1000", *args), key=lambda r: r["id"])


def texts(mem) -> list[str]:
    return [r["text"] for r in records(mem)]


def test_chatgpt_voice_code_attachments_and_canvas(mem):
    out = mem.json("ingest", str(FIXTURES / "chatgpt_features.json"))
    assert out["warnings"] == [] and out["by_format"]["chatgpt"]["added"] == 6
    voice, budget = ([r for r in records(mem) if r["session"] == s] for s in ("conv-voice", "conv-budget"))
    assert [(r["speaker"], r["text"]) for r in voice] == [
        ("user", "My back tyre keeps going flat after two days."),
        ("assistant", "Check the rim tape; a spoke end can pinch the tube.")]
    assert all(r["metadata"]["voice"] for r in voice)
    ask, code, answer, canvas = budget
    assert ask["text"] == "Sum the grocery column of the attached sheet.\n\nAttached: budget-march.xlsx, receipt.jpg"
    assert ask["metadata"]["attachments"] == ["budget-march.xlsx", "receipt.jpg"]
    assert code["text"].startswith("```python\nimport pandas as pd") and code["text"].endswith("\n```")
    assert answer["text"] == "Groceries came to 412.35 in March."
    assert canvas["text"] == "Canvas: March budget note\n\n# March budget\n\nGroceries: 412.35\nRent: 950"
    assert "Successfully created" not in " ".join(texts(mem)) and "search(" not in " ".join(texts(mem))  # tool plumbing
    assert ask["id"] in [hit["id"] for hit in mem.json("search", "receipt.jpg")]  # names are searchable


def site_zip(path: Path, conversations: Path, *, folder: str = "", extra: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(folder + "conversations.json", conversations.read_text(encoding="utf-8"))
        for name, text in (extra or {}).items():
            archive.writestr(folder + name, text)
    return path


def test_export_zip_as_the_site_gives_it(mem, tmp_path):
    chatgpt = site_zip(tmp_path / "0a1b2c-2024-06-01-10-00-00.zip", FIXTURES / "chatgpt_features.json",
                       extra={"chat.html": "<html></html>", "user.json": "{}", "message_feedback.json": "[]"})
    out = mem.json("ingest", str(chatgpt))
    assert out["by_format"] == {"chatgpt": {"files": 1, "added": 6, "skipped": 0, "superseded": 0}}
    assert records(mem)[0]["source"] == str(chatgpt)
    assert mem.json("ingest", str(chatgpt))["added"] == 0
    claude = site_zip(tmp_path / "data-2024-06-02.zip", FIXTURES / "claude_conversations.json", folder="data-2024-06-02/",
                      extra={"projects.json": (FIXTURES / "claude_projects.json").read_text(), "users.json": "[]"})
    out = mem.json("ingest", str(claude))
    assert out["by_format"]["claude"]["files"] == 1 and out["warnings"] == []
    assert any(t.startswith("Project Allotment:") for t in texts(mem))  # projects.json from the same zip
    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("IMG_0001.jpg", b"\xff\xd8")
    result = mem("ingest", str(other), code=2)
    assert "a zip without conversations.json or projects.json: not a ChatGPT or Claude export" in result.stderr


def test_claude_blocks_attachments_and_placeholders(mem):
    out = mem.json("ingest", str(FIXTURES / "claude_conversations.json"))
    assert out["warnings"] == []
    found = records(mem)
    assert [(r["source_ref"], r["speaker"]) for r in found] == [
        ("cl-m1", "human"), ("cl-m1:attachment:0:0", "human"), ("cl-m2", "assistant"), ("cl-m3", "human")]
    ask, lease, answer, photo = found
    assert ask["text"] == "Please read my lease and tell me the notice period.\n\nAttached: lease.txt"
    assert lease["text"].startswith("lease.txt:\n\nTenancy agreement for Flat 3") and lease["metadata"]["attachment"] == "lease.txt"
    assert answer["text"] == ("The notice period is two months, in writing.\n\nArtifact: Notice letter\n\n"
                              "Dear landlord, I give two months' notice to end my tenancy of Flat 3.")
    assert photo["text"] == "Attached: meter-photo.jpg"  # an attachment-only turn
    assert not any("Analysis Tool" in r["text"] or "supported on mobile" in r["text"] for r in found)  # cl-m4: placeholder only
    assert mem.json("search", "notice period", "Elm Road")


def test_claude_projects(mem):
    out = mem.json("ingest", str(FIXTURES / "claude_projects.json"))
    assert out["by_format"]["claude"]["added"] == 2
    about, plot = records(mem)
    assert about["text"] == ("Project Allotment: Planning plot 27 at the Riverside allotments\n\n"
                             "Instructions: Answer as a patient gardener; I am a beginner.")
    assert plot["text"] == "plot-27.md:\n\nPlot 27 has clay soil and a water butt by the shed."
    assert plot["session"] == "project:proj-garden" and plot["metadata"]["document"] == "plot-27.md"
    assert "prompting guide" not in " ".join(texts(mem))  # Claude's starter project


def test_mcp_memory_graph(mem, tmp_path):
    out = mem.json("ingest", str(FIXTURES / "memory.jsonl"))
    assert out["by_format"] == {"mcp-memory": {"files": 1, "added": 4, "skipped": 0, "superseded": 0}}
    found = records(mem)
    assert [(r["type"], r["text"]) for r in found] == [
        ("semantic", "Ann_Lee: Speaks fluent Portuguese"), ("semantic", "Ann_Lee: Prefers morning meetings"),
        ("semantic", "Riverside_Clinic: Open until 8pm on Thursdays"), ("semantic", "Ann_Lee works_at Riverside_Clinic")]
    assert found[0]["metadata"]["entity"] == "Ann_Lee" and found[0]["metadata"]["entity_type"] == "person"
    assert mem.json("search", "where does Ann work")[0]["text"] == "Ann_Lee works_at Riverside_Clinic"
    grown = tmp_path / "memory.jsonl"
    grown.write_text((FIXTURES / "memory.jsonl").read_text())
    mem("ingest", str(grown))
    lines = grown.read_text().splitlines()  # the server rewrites its file with one more observation
    entity = json.loads(lines[0])
    entity["observations"].append("Allergic to penicillin")
    grown.write_text("\n".join([json.dumps(entity), *lines[1:]]) + "\n")
    assert mem.json("ingest", str(grown))["added"] == 1


def test_records_jsonl(mem):
    out = mem.json("ingest", str(FIXTURES / "records.jsonl"))
    assert out["by_format"]["jsonl"]["added"] == 3 and out["warnings"] == []
    boiler, router, glasses = records(mem)
    assert (boiler["type"], boiler["observed_at"], boiler["tags"], boiler["source_ref"]) == (
        "semantic", "2024-02-10T08:00:00Z", ["home", "boiler"], "home-1")
    assert boiler["session"] is None and boiler["speaker"] is None
    assert (router["type"], router["tags"]) == ("procedural", ["home", "network"])
    assert (glasses["type"], glasses["observed_at"]) == ("episodic", "2024-06-01T08:00:00Z")
    assert mem.json("ingest", str(FIXTURES / "records.jsonl"))["added"] == 0


def test_a_mem_export_is_sent_to_mem_import(mem, tmp_path):
    mem("add", "The bins go out on Wednesday night")
    backup = tmp_path / "backup.jsonl"
    mem("export", "-o", str(backup))
    result = mem("ingest", str(backup), code=2)
    assert "a mem export, not a chat log: load it with mem import" in result.stderr
