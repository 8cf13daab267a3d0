"""Edit and pack jobs through the generate task: their render requests, and a pack claimed whole."""

from __future__ import annotations

from core.db import repositories as repo
from core.db.models import JobStatus
from core.looks import look_params, plan_edit, plan_pack
from core.spec import parse_spec
from generator.tasks import run_generate
from tests.generator.test_tasks import ScriptedBackend, create, job, make_context, no_requeue

ORIGINAL = parse_spec({"style": "micah", "hair": "long", "hair_color": "black", "expression": "happy"})


def _pack(session_factory, seed: int = 77) -> list[int]:
    plan = plan_pack(ORIGINAL)
    with session_factory() as session:
        request_id = None
        ids = []
        for spec in plan.members.values():
            [row] = repo.create_jobs(
                session,
                owner_id=7,
                spec=spec,
                seeds=[seed],
                backend="builtin",
                kind="pack",
                params=look_params(ORIGINAL),
                request_id=request_id,
            )
            request_id = row.request_id
            ids.append(row.id)
        session.commit()
    return ids


def test_an_edit_job_is_the_edited_spec_drawn_from_the_original(session_factory, image_store) -> None:
    backend = ScriptedBackend()
    context = make_context(session_factory, image_store, backend)
    [original] = create(session_factory)
    plan = plan_edit(ORIGINAL, {"hair_color": "blue"})
    [edit] = create(session_factory, kind="edit", parent_id=original, params=look_params(ORIGINAL))
    [broken] = create(session_factory, kind="edit", parent_id=original)

    run_generate(context, edit, requeue=no_requeue)
    run_generate(context, broken, requeue=no_requeue)

    [[request]] = backend.calls
    assert request.kind == "edit" and request.source_spec == plan.source and request.shared_steps is None
    assert request.seed == 100
    assert job(session_factory, edit).status == JobStatus.DONE
    row = job(session_factory, broken)
    assert row.status == JobStatus.FAILED and row.error == f"edit job {broken} is missing the original avatar's spec"


def test_a_pack_is_claimed_whole_and_drawn_in_one_call(session_factory, image_store) -> None:
    backend = ScriptedBackend()
    context = make_context(session_factory, image_store, backend, batch_size=1)
    [other] = create(session_factory)
    members = _pack(session_factory)

    outcome = run_generate(context, members[1], requeue=no_requeue)

    assert outcome.done == [members[1], members[0], members[2]]
    [call] = backend.calls
    assert [r.spec.expression for r in call] == ["sad", "happy", "surprised"]
    assert {r.kind for r in call} == {"pack"} and {r.seed for r in call} == {77}
    assert job(session_factory, other).status == JobStatus.QUEUED
    for member in members:  # the members' own messages find nothing left to do
        assert run_generate(context, member, requeue=no_requeue).claimed == []


def test_a_batch_of_other_jobs_does_not_take_part_of_a_pack(session_factory, image_store) -> None:
    backend = ScriptedBackend()
    context = make_context(session_factory, image_store, backend, batch_size=4)
    members = _pack(session_factory)
    [first] = create(session_factory)

    run_generate(context, first, requeue=no_requeue)

    assert [r.kind for r in backend.calls[0]] == ["create"]
    assert all(job(session_factory, m).status == JobStatus.QUEUED for m in members)
