"""The assessments API: CRUD, versions, results, permissions and tenant isolation."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from frontdesk.assessments.models import AssessmentResult
from frontdesk.conversations.models import Conversation
from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from tests.assessments.samples import quiz
from tests.conftest import TenantCtx
from tests.factories import api_key, open_session, wait_for_messages

URL = "/api/v1/assessments"


async def create(client: httpx.AsyncClient, tenant: TenantCtx, **changes: object) -> dict:
    r = await client.post(URL, headers=tenant.headers, json=quiz(**changes))
    assert r.status_code == 201, r.text
    return r.json()


def problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return r.json()


async def test_create_list_get(client: httpx.AsyncClient, tenant: TenantCtx):
    created = await create(client, tenant)
    assert (created["key"], created["version"], created["enabled"]) == ("health-check", 1, True)
    assert created["definition"]["questions"][0]["id"] == "exercise"
    assert "enabled" not in created["definition"]

    r = await client.get(URL, headers=tenant.headers)
    assert [(a["key"], a["title"]) for a in r.json()] == [("health-check", "Health check")]
    assert "definition" not in r.json()[0]
    r = await client.get(f"{URL}/health-check", headers=tenant.headers)
    assert r.json()["definition"] == created["definition"]


async def test_a_taken_key_is_a_conflict(client: httpx.AsyncClient, tenant: TenantCtx):
    await create(client, tenant)
    r = await client.post(URL, headers=tenant.headers, json=quiz(title="Again"))
    assert problem(r, 409)["code"] == "conflict"


async def test_an_invalid_definition_is_422_naming_the_field(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    data = quiz()
    data["questions"][1]["validation"] = {"pattern": "x"}
    r = await client.post(URL, headers=tenant.headers, json=data)
    body = problem(r, 422)
    assert body["code"] == "validation_error"
    [error] = body["errors"]
    assert error["loc"][:3] == ["body", "questions", 1]
    assert "pattern applies to text" in error["msg"]

    data = quiz(bands=[{"min": 0, "max": 5, "title": "A"}, {"min": 4, "max": 9, "title": "B"}])
    [error] = problem(await client.post(URL, headers=tenant.headers, json=data), 422)["errors"]
    assert error["loc"] == ["body", "bands"] and "overlap" in error["msg"]
    r = await client.get(URL, headers=tenant.headers)
    assert r.json() == []


async def test_put_makes_a_new_version_only_when_the_definition_changes(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    first = await create(client, tenant)
    r = await client.put(f"{URL}/health-check", headers=tenant.headers, json=quiz())
    assert r.status_code == 200 and r.json()["version"] == 1

    changed = quiz(title="Health check 2026")
    changed["questions"] = changed["questions"][:2]
    r = await client.put(f"{URL}/health-check", headers=tenant.headers, json=changed)
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["title"]) == (2, "Health check 2026")
    assert len(r.json()["definition"]["questions"]) == 2

    r = await client.get(f"{URL}/health-check/versions", headers=tenant.headers)
    assert [v["number"] for v in r.json()] == [2, 1]
    r = await client.get(f"{URL}/health-check", params={"version": 1}, headers=tenant.headers)
    assert r.json()["version"] == 1
    assert r.json()["definition"] == first["definition"]
    r = await client.get(f"{URL}/health-check", params={"version": 3}, headers=tenant.headers)
    problem(r, 404)


async def test_put_keeps_a_disabled_assessment_disabled_unless_told(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    await create(client, tenant)
    url = f"{URL}/health-check"
    await client.patch(url, headers=tenant.headers, json={"enabled": False})
    changed = quiz(title="Health check, edited")
    r = await client.put(url, headers=tenant.headers, json=changed)
    assert (r.json()["enabled"], r.json()["version"]) == (False, 2)
    r = await client.put(url, headers=tenant.headers, json={**changed, "enabled": True})
    assert (r.json()["enabled"], r.json()["version"]) == (True, 2)


async def test_put_refuses_another_key_and_invalid_bodies(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    await create(client, tenant)
    r = await client.put(f"{URL}/health-check", headers=tenant.headers, json=quiz(key="other"))
    assert problem(r, 422)["errors"][0]["loc"] == ["body", "key"]
    data = quiz()
    data["questions"].append(dict(data["questions"][0]))
    r = await client.put(f"{URL}/health-check", headers=tenant.headers, json=data)
    assert "duplicate question id 'exercise'" in problem(r, 422)["errors"][0]["msg"]
    r = await client.put(f"{URL}/nope", headers=tenant.headers, json=quiz(key="nope"))
    problem(r, 404)
    r = await client.get(f"{URL}/health-check", headers=tenant.headers)
    assert r.json()["version"] == 1


async def test_disable_enable_and_delete(client: httpx.AsyncClient, tenant: TenantCtx):
    await create(client, tenant)
    r = await client.patch(f"{URL}/health-check", headers=tenant.headers, json={"enabled": False})
    assert (r.json()["enabled"], r.json()["version"]) == (False, 1)
    r = await client.get(URL, params={"enabled": True}, headers=tenant.headers)
    assert r.json() == []
    r = await client.get(URL, params={"enabled": False}, headers=tenant.headers)
    assert [a["key"] for a in r.json()] == ["health-check"]
    problem(await client.patch(f"{URL}/health-check", headers=tenant.headers, json={}), 422)

    r = await client.delete(f"{URL}/health-check", headers=tenant.headers)
    assert r.status_code == 204
    problem(await client.get(f"{URL}/health-check", headers=tenant.headers), 404)
    problem(await client.delete(f"{URL}/health-check", headers=tenant.headers), 404)


async def test_permissions(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx):
    await create(client, tenant)
    agent = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.AGENT)}"}
    assert (await client.get(URL, headers=agent)).status_code == 200
    assert (await client.get(f"{URL}/health-check/results", headers=agent)).status_code == 200
    for r in (
        await client.post(URL, headers=agent, json=quiz(key="mine")),
        await client.put(f"{URL}/health-check", headers=agent, json=quiz()),
        await client.delete(f"{URL}/health-check", headers=agent),
    ):
        assert problem(r, 403)["code"] == "forbidden"
    config = {
        "Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.CONFIG_MANAGER)}"
    }
    assert (await client.post(URL, headers=config, json=quiz(key="mine"))).status_code == 201
    problem(await client.get(URL), 401)


async def seed_results(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx) -> dict:
    """Two results of one conversation: a completed one and one in progress."""
    assessment = await create(client, tenant)
    sid, headers = await open_session(client, tenant.slug)
    await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": "hello"}
    )
    await wait_for_messages(client, sid, headers, 2)
    async with runtime.db.tenant_tx(tenant.id) as session:
        conversation = (
            await session.scalars(
                select(Conversation.id).where(Conversation.tenant_id == tenant.id)
            )
        ).one()
    common = {
        "tenant_id": tenant.id,
        "assessment_id": assessment["id"],
        "version": 1,
        "conversation_id": conversation,
    }
    async with runtime.db.tenant_tx(tenant.id) as session:
        done = AssessmentResult(
            **common, status="completed", score=13, band="Fair", answers={"email": {"value": 1}}
        )
        going = AssessmentResult(**common, status="in_progress", current_question="smoke")
        session.add_all([done, going])
    return {"done": done.id, "going": going.id, "conversation_id": conversation}


async def test_results_are_listed_filtered_and_read(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
):
    ids = await seed_results(client, runtime, tenant)
    results = f"{URL}/health-check/results"
    r = await client.get(results, headers=tenant.headers)
    assert {x["id"] for x in r.json()} == {ids["done"], ids["going"]}
    for params, expected in (
        ({"status": "completed"}, [ids["done"]]),
        ({"status": "in_progress"}, [ids["going"]]),
        ({"band": "Fair"}, [ids["done"]]),
        ({"conversation_id": ids["conversation_id"], "band": "Great"}, []),
        ({"since": "2000-01-01T00:00:00Z", "status": "completed"}, [ids["done"]]),
        ({"until": "2000-01-01T00:00:00Z"}, []),
    ):
        r = await client.get(results, params=params, headers=tenant.headers)
        assert [x["id"] for x in r.json()] == expected, params
    problem(await client.get(results, params={"status": "odd"}, headers=tenant.headers), 422)
    r = await client.get(results, params={"since": "2000-01-01T00:00"}, headers=tenant.headers)
    problem(r, 422)  # a time without its zone

    r = await client.get(f"{results}/{ids['done']}", headers=tenant.headers)
    assert (r.json()["score"], r.json()["band"], r.json()["status"]) == (13, "Fair", "completed")
    problem(await client.get(f"{results}/nope", headers=tenant.headers), 404)


async def test_tenant_b_reaches_nothing_of_tenant_a(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
):
    ids = await seed_results(client, runtime, tenant)
    b = other_tenant.headers
    assert (await client.get(URL, headers=b)).json() == []
    for method, path, body in (
        ("GET", f"{URL}/health-check", None),
        ("GET", f"{URL}/health-check/versions", None),
        ("GET", f"{URL}/health-check/results", None),
        ("GET", f"{URL}/health-check/results/{ids['done']}", None),
        ("PUT", f"{URL}/health-check", quiz(title="Hijacked")),
        ("PATCH", f"{URL}/health-check", {"enabled": False}),
        ("DELETE", f"{URL}/health-check", None),
    ):
        r = await client.request(method, path, headers=b, json=body)
        problem(r, 404)
    # B may have an assessment with the same key: its own, and its results are not A's.
    await create(client, other_tenant)
    assert (await client.get(f"{URL}/health-check/results", headers=b)).json() == []
    r = await client.get(f"{URL}/health-check/results/{ids['done']}", headers=b)
    problem(r, 404)
    a = (await client.get(f"{URL}/health-check", headers=tenant.headers)).json()
    assert (a["title"], a["enabled"], a["version"]) == ("Health check", True, 1)
