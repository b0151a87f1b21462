"""Auth0's two ways of paging a list: by page (with totals when asked) or after a checkpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.response import Response

type Rows = Callable[[Iterable[Any]], list[Any]]


def page_response(
    query: dict[str, Any], items: QuerySet[Any], key: str, rows: Rows, *, length: bool = True
) -> Response:
    """Page ``page`` of ``per_page`` items: a bare list, or with ``include_totals`` the envelope
    ``{start, limit, length, total, <key>}`` (without ``length`` where Auth0 gives none)."""
    start = query["page"] * query["per_page"]
    data = rows(items[start : start + query["per_page"]])
    if not query["include_totals"]:
        return Response(data)
    body: dict[str, Any] = {"start": start, "limit": query["per_page"]}
    if length:
        body["length"] = len(data)
    body |= {"total": items.count(), key: data}
    return Response(body)


def checkpoint_response(
    items: QuerySet[Any], key: str, rows: Rows, take: int, next_of: Callable[[Any], str]
) -> Response:
    """``take`` items as ``{<key>, next}``; ``next`` is the following page's checkpoint, if any."""
    page = list(items[: take + 1])
    body: dict[str, Any] = {key: rows(page[:take])}
    if len(page) > take:
        body["next"] = next_of(page[take - 1])
    return Response(body)


def page_serializer(
    name: str,
    item: type[serializers.Serializer],
    key: str,
    *,
    totals: bool = True,
    length: bool = True,
    checkpoint: bool = False,
    doc: str | None = None,
) -> type[serializers.Serializer]:
    """The schema of a page of ``item`` under ``key``: the totals envelope (required unless the
    list also pages by checkpoint) and, for checkpoint paging, ``next``."""
    fields: dict[str, Any] = {}
    if totals:
        names = ("start", "limit", "length", "total") if length else ("start", "limit", "total")
        fields |= {n: serializers.IntegerField(required=not checkpoint) for n in names}
    fields[key] = item(many=True)
    if checkpoint:
        fields["next"] = serializers.CharField(required=False)
    attrs = {**fields, "__doc__": doc, "__module__": item.__module__, "__qualname__": name}
    return type(name, (serializers.Serializer,), attrs)


def list_or_page(
    component_name: str, item: type[serializers.Serializer], page: type[serializers.Serializer]
) -> PolymorphicProxySerializer:
    """The schema of a list operation's 200: a bare list of ``item``, or ``page`` with totals."""
    return PolymorphicProxySerializer(
        component_name=component_name,
        serializers=[item(many=True), page],
        resource_type_field_name=None,
        many=False,
    )
