"""The htmx rules of the templates (README, "Front-end notes"), checked on the source and on served pages: the
same configuration on every page that loads htmx, and no attribute that needs eval, which the CSP forbids."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD, AgentFactory
from tests.helpers import sign_in

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
ATTRIBUTE = re.compile(r"""\s((?:data-)?hx-[\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def attributes():
    for path in TEMPLATES:
        for match in ATTRIBUTE.finditer(path.read_text()):
            yield path.name, match.group(1), match.group(2) if match.group(2) is not None else match.group(3)


def test_no_template_needs_eval():
    assert sum(attribute == "hx-trigger" for _, attribute, _ in attributes()) > 10  # the scan sees them
    needs_eval = [
        (name, attribute, value)
        for name, attribute, value in attributes()
        if attribute.startswith(("hx-on", "data-hx-on"))
        or attribute in ("hx-vars", "data-hx-vars")
        or (attribute.endswith("hx-trigger") and "[" in value)  # an event filter
        or (attribute.endswith(("hx-vals", "hx-headers")) and value.lstrip().startswith(("js:", "javascript:")))
    ]
    assert needs_eval == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/workspace/", "/admin/board/"])
def test_every_page_with_htmx_has_the_same_configuration(url):
    AgentFactory(username="sam", is_staff=True)
    page = sign_in("sam", PASSWORD).get(url).content.decode()
    [content] = re.findall(r"""<meta name="htmx-config" content='([^']*)'>""", page)
    config = json.loads(content)
    assert config["disableInheritance"] is True and config["allowEval"] is False
    assert config["historyCacheSize"] == 0 and config["refreshOnHistoryMiss"] is True
    swapped = {rule["code"] for rule in config["responseHandling"] if rule["swap"] and not rule.get("error")}
    assert {"404", "4(09|22)"} <= swapped
    assert "workspace/request_errors.js" in page and 'id="page-notice"' in page
