"""Projects and membership."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from services.api.deps import Admin, IfMatch, SessionDep, SettingsDep, UserDep, Viewer, check_version, etag
from services.api.errors import ERROR_RESPONSES, ApiError, not_found
from services.api.pagination import decode_cursor, encode_cursor
from services.api.schemas import (
    MemberOut,
    MemberPut,
    Page,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    looks_like_id,
)
from services.db.base import new_id
from services.db.models import Membership, Project, User

router = APIRouter(prefix="/v1/projects", tags=["projects"], responses=ERROR_RESPONSES)
UserPath = Annotated[str, Path(max_length=64, description="User id or name.")]


@router.post("", response_model=ProjectOut, status_code=201, summary="Create a project")
def create_project(body: ProjectCreate, session: SessionDep, user: UserDep, response: Response) -> Project:
    """The creator becomes the project's admin."""
    if session.scalar(select(Project.id).where(Project.name == body.name)):
        raise ApiError(409, "conflict", f"project {body.name!r} exists")
    project = Project(id=new_id("prj"), name=body.name, description=body.description, created_by=user.id)
    session.add(project)
    session.flush()
    session.add(Membership(project_id=project.id, user_id=user.id, role="admin"))
    session.commit()
    response.headers["ETag"] = etag(project.version)
    return project


@router.get("", response_model=Page[ProjectOut], summary="List my projects")
def list_projects(
    session: SessionDep, user: UserDep, settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[ProjectOut]:
    q = select(Project).order_by(Project.id.desc()).limit(limit + 1)
    if not user.is_admin:
        q = q.join(Membership, Membership.project_id == Project.id).where(Membership.user_id == user.id)
    after = decode_cursor(cursor, settings.secret_key, "projects")
    if after:
        q = q.where(Project.id < after)
    rows = list(session.scalars(q))
    nxt = encode_cursor(rows[limit - 1].id, settings.secret_key, "projects") if len(rows) > limit else None
    return Page[ProjectOut](data=[ProjectOut.model_validate(p) for p in rows[:limit]], next_cursor=nxt)


@router.get("/{project_id}", response_model=ProjectOut, summary="Get a project")
def get_project(access: Viewer, response: Response) -> Project:
    response.headers["ETag"] = etag(access.project.version)
    return access.project


@router.patch("/{project_id}", response_model=ProjectOut, summary="Update a project (If-Match required)")
def update_project(body: ProjectUpdate, access: Admin, session: SessionDep, response: Response, if_match: IfMatch = None) -> Project:
    project = access.project
    check_version(project.version, if_match)
    project.description = body.description
    session.commit()
    response.headers["ETag"] = etag(project.version)
    return project


@router.get("/{project_id}/members", response_model=list[MemberOut], summary="List members")
def list_members(access: Viewer, session: SessionDep) -> list[Membership]:
    return list(session.scalars(select(Membership).where(Membership.project_id == access.project.id)))


def _user(session: SessionDep, ref: str) -> User:
    user = session.scalar(select(User).where(User.id == ref if looks_like_id(ref) else User.name == ref))
    if user is None:
        raise not_found("user")
    return user


@router.put("/{project_id}/members/{user_ref}", response_model=MemberOut, summary="Add or change a member (admin)")
def put_member(user_ref: UserPath, body: MemberPut, access: Admin, session: SessionDep) -> Membership:
    user = _user(session, user_ref)
    member = session.get(Membership, (access.project.id, user.id))
    if member is None:
        member = Membership(project_id=access.project.id, user_id=user.id, role=body.role, can_promote=body.can_promote)
        session.add(member)
    else:
        member.role, member.can_promote = body.role, body.can_promote
    session.flush()
    _keep_an_admin(session, access.project.id)
    session.commit()
    return member


@router.delete("/{project_id}/members/{user_ref}", status_code=204, summary="Remove a member (admin)")
def delete_member(user_ref: UserPath, access: Admin, session: SessionDep) -> Response:
    user = _user(session, user_ref)
    member = session.get(Membership, (access.project.id, user.id))
    if member is None:
        raise not_found("member")
    session.delete(member)
    session.flush()
    _keep_an_admin(session, access.project.id)
    session.commit()
    return Response(status_code=204)


def _keep_an_admin(session: SessionDep, project_id: str) -> None:
    admins = session.scalar(
        select(Membership.user_id).where(Membership.project_id == project_id, Membership.role == "admin").limit(1))
    if admins is None:
        session.rollback()
        raise ApiError(409, "conflict", "a project must keep at least one admin")
