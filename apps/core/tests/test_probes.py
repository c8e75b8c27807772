import pytest
from django.test import RequestFactory

from apps.core import views
from apps.core.probes import PROBES, probe_name


@pytest.mark.parametrize(
    ("path", "name"),
    [("/healthz", "healthz"), ("/readyz/", "readyz"), ("/api/v1/posts/", None)],
)
def test_a_path_names_its_probe_or_none(path, name):
    assert probe_name(RequestFactory().get(path)) == name


def test_every_probe_name_is_a_view():
    assert all(callable(getattr(views, name, None)) for name in PROBES.values())
