"""Serializers and Django model results, served by the test project."""

from __future__ import annotations

from typing import Annotated

import msgspec

from django_bolt import BoltAPI
from django_bolt.serializers import Serializer, field_validator, model_validator

from .models import Person, Team

api = BoltAPI(prefix="/people")


class PersonIn(Serializer):
    username: str
    email: str
    password: Annotated[str, msgspec.Meta(min_length=8)]
    team_id: int | None = None

    class Config:
        write_only = {"password"}

    @field_validator("email")
    def validate_email(cls, value):
        if "@" not in value:
            raise ValueError("Invalid email")
        return value.lower()

    @model_validator
    def validate_model(self):
        if self.username.lower() == "admin":
            raise ValueError("Username 'admin' is reserved")
        return self


class TeamOut(Serializer):
    id: int
    name: str


class PersonOut(Serializer):
    id: int
    username: str
    email: str
    is_active: bool

    class Config:
        read_only = {"id"}


class PersonWithTeam(Serializer):
    username: str
    team: TeamOut | None


@api.post("/teams", status_code=201)
async def create_team(name: str):
    return await Team.objects.acreate(name=name)


@api.get("/teams")
async def list_teams():
    return Team.objects.order_by("id")


@api.get("/teams/{team_id}")
async def get_team(team_id: int):
    return await Team.objects.aget(pk=team_id)


@api.post("/", response_model=PersonOut, status_code=201)
async def create_person(data: PersonIn):
    return await Person.objects.acreate(
        username=data.username, email=data.email, password=data.password, team_id=data.team_id
    )


@api.get("/", response_model=list[PersonOut])
async def list_people():
    return Person.objects.order_by("id")


@api.get("/{person_id}")
def get_person(person_id: int) -> PersonOut:
    return Person.objects.get(pk=person_id)


@api.get("/with-teams", response_model=list[PersonWithTeam])
def list_people_with_teams():
    return Person.objects.order_by("id")


@api.get("/built")
async def built_by_hand():
    people = await PersonOut.afrom_queryset(Person.objects.order_by("id"))
    return {"count": len(people), "first": people[0] if people else None}


@api.post("/echo")
async def echo(data: PersonIn):
    """Returns the input Serializer itself: its write_only password must stay out."""
    return data
