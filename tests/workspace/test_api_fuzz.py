"""A fuzz pass over the REST API: schemathesis reads /api/openapi.json from the live server and sends what the
document allows (and, in its negative mode, what it forbids) with an agent's token. No operation may answer 5xx,
and every answer must match the document: status, content type and body.

Bounded for CI: PERCH_FUZZ_EXAMPLES examples per operation and mode (default 25), derandomized, so a run takes
seconds and fails the same way twice; raise it for a deeper run."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from interactions.models import Offer
from tests.factories import AgentFactory, InboundDMFactory, InteractionFactory, TwitterIdentityFactory
from workspace.api.openapi import PATHS
from workspace.api.tokens import api_token_create

pytestmark = pytest.mark.django_db(transaction=True)  # the live server is another process: rows must be committed

EXAMPLES = int(os.environ.get("PERCH_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def agent_token():
    """Ana's token, and a little of what she sees: her contact and interaction, one offered to her."""
    ana = AgentFactory(username="ana")
    mine = InteractionFactory(agent=ana, state="active", contact__assigned_agent=ana)
    TwitterIdentityFactory(contact=mine.contact, handle="parcelpete")
    InboundDMFactory(interaction=mine, text="Where is my parcel?")
    offered = InteractionFactory(state="offered")
    Offer.objects.create(interaction=offered, agent=ana, expires_at=offered.opened_at.replace(year=2099))
    return api_token_create(user=ana)[1]


# Every operation with what the document allows; those with parameters also with what it forbids.
RUNS = [(path, mode) for path in sorted(PATHS) for mode in GenerationMode
        if mode.is_positive or PATHS[path]["get"].get("parameters")]  # fmt: skip


@pytest.mark.parametrize(("path", "mode"), RUNS, ids=[f"{mode} GET {path}" for path, mode in RUNS])
def test_no_api_operation_answers_5xx_or_outside_its_document(live_server_url, agent_token, path, mode):
    # Loaded from the live server, as a client would; one operation per test (schemathesis' own pytest loader
    # does not run under pytest 9: it sets the removed Node._nodeid).
    # The token is given as the document's "bearer" scheme, so schemathesis knows a request without it is negative.
    config = SchemathesisConfig.from_dict({"auth": {"openapi": {"bearer": {"bearer": agent_token}}}})
    operation = schemathesis.openapi.from_url(f"{live_server_url}/api/openapi.json", config=config)[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def call(case):
        case.call_and_validate(timeout=10)

    call()
