"""The importer's test corpus: documents beside their reviewed expectations."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from importer.expectations import Score, score_document
from importer.registry import read_directory

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "corpus"


def expectations(folder: Path = CORPUS) -> list[tuple[Path, dict]]:  # type: ignore[type-arg]
    """(document, expectation) for every NAME.yaml of the folder that names its file."""
    yaml = YAML(typ="safe")
    found = []
    for path in sorted(folder.glob("*.yaml")):
        expected = yaml.load(path.read_text(encoding="utf-8"))
        found.append((folder / expected["file"], expected))
    return found


def score_corpus(folder: Path = CORPUS, definitions: Path = ROOT / "definitions"
                 ) -> list[Score]:
    directory = read_directory([definitions])
    return [score_document(path, expected, directory)
            for path, expected in expectations(folder)]
