"""Provides the object-level permission policy for posts."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsAuthorOrStaff(BasePermission):
    """Reads are open to whoever can see the post; writes only to its author or staff.

    Which posts a caller can see at all is the view's queryset's concern.
    """

    message = "Only the author or staff may change this post."

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return obj.author_id == request.user.pk or request.user.is_staff
