"""Query-string filters for the post list."""

import re

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.posts.models import Post


class _WholeNumberField(forms.IntegerField):
    """Digits only: Django's IntegerField also takes "1.0" and " 1 "."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"-?[0-9]+", value):
            raise forms.ValidationError("Enter a whole number.", code="invalid")
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An id: an unknown one matches nothing rather than being an error."""

    field_class = _WholeNumberField


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """`true` or `false`, as OpenAPI writes a boolean in a query; anything else 400.

    django-filter's BooleanFilter reads `null`, `0` or `yes` as "no filter" and
    answers every post, so a client's typo passes unnoticed.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class PostFilter(django_filters.FilterSet):
    author = IdFilter(field_name="author_id", help_text="Only posts by this user id.")
    published = StrictBooleanFilter(help_text="false lists the caller's own drafts.")

    class Meta:
        model = Post
        fields = ["author", "published"]


class PostFilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the query string names no filter.

    It builds a form class and validates a form on every request; with none of
    the filters' parameters that form is empty and filters nothing.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
