"""Reads for consultation matters, through the one visibility rule (responders.selectors)."""

from django.db.models import QuerySet

from responders.selectors import Scope

from .models import Invitation, LivelihoodProject, Matter, Step


def visible_matters(scope: Scope) -> QuerySet[Matter]:
    """A street's matters to its street; a committee's to it and its street (as meetings are)."""
    return scope.filter(
        Matter.objects.select_related("street", "committee", "ticket"),
        street="street",
        committee="committee",
    )


def public_matters() -> QuerySet[Matter]:
    """What anyone may read without signing in: matters whose resolution is published (决议公开),
    and the result once published."""
    return Matter.objects.filter(step__gte=Step.PUBLISHED).select_related("street", "committee")


def visible_projects(scope: Scope) -> QuerySet[LivelihoodProject]:
    """A street's livelihood projects to its street; a committee's to it and its street."""
    return scope.filter(
        LivelihoodProject.objects.select_related("street", "committee", "meeting"),
        street="street",
        committee="committee",
    )


def visible_invitations(scope: Scope) -> QuerySet[Invitation]:
    """A committee's invitations to it and its street; to a department, those it is invited to."""
    return scope.filter(
        Invitation.objects.select_related("committee", "department", "leader", "ticket", "matter", "meeting"),
        street="street",
        committee="committee",
        department="department",
    )
