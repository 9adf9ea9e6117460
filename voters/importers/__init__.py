"""Importers for files from outside: registers (every council system), marked registers and absent
voters lists, model scores, postcode locations. `importer_for(record)` picks the one for a record."""

from __future__ import annotations

from voters.importers.base import StagedImporter
from voters.importers.marks import MarksImporter
from voters.importers.postcodes import PostcodesImporter
from voters.importers.register import RegisterImporter
from voters.importers.scores import ScoresImporter
from voters.models import RegisterImport


def importer_for(record: RegisterImport) -> StagedImporter:
    kinds = RegisterImport.Kind
    return {
        kinds.FULL: RegisterImporter,
        kinds.UPDATE: RegisterImporter,
        kinds.MARKED: MarksImporter,
        kinds.POSTAL: MarksImporter,
        kinds.SCORES: ScoresImporter,
        kinds.POSTCODES: PostcodesImporter,
    }[record.kind](record)  # type: ignore[index]  # kind is one of these
