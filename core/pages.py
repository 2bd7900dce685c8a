"""Paging for the screens' lists."""

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


def page_of(request, queryset, size: int = PAGE_SIZE) -> Page:
    """The page the request asks for (`?page=`); a bad or too large number gives the nearest page."""
    return Paginator(queryset, size).get_page(request.GET.get("page"))
