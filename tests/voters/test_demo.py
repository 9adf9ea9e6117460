import io

from labourhub import demo as core_demo
from voters import demo
from voters.models import Contact, Elector, ElectorMark, ModelVersion, Property


def test_demo_register_loads_through_the_importer_once(db, monkeypatch):
    monkeypatch.setattr(demo, "ANYTOWN_ELECTORS", 1500)
    monkeypatch.setattr(demo, "OTHERTON_ELECTORS", 300)
    core_demo.seed(io.StringIO())
    out = io.StringIO()
    demo.seed(out)
    assert Elector.unscoped.filter(polling_district__constituency__name="Anytown").count() == 1500
    assert Elector.unscoped.filter(polling_district__constituency__name="Otherton").count() == 300
    assert not Property.unscoped.filter(latitude__isnull=True).exists()
    assert (
        ElectorMark.unscoped.filter(kind="voted").exists()
        and ElectorMark.unscoped.filter(kind="postal").exists()
    )
    assert ModelVersion.unscoped.get().scores.count() == 3000
    assert Contact.unscoped.exists()
    demo.seed(out)
    assert Elector.unscoped.count() == 1800
    assert "already loaded" in out.getvalue()
