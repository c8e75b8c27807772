"""Reads for posts: which posts a caller may see."""

from django.db.models import Q, QuerySet

from apps.posts.models import Post


def post_list_visible(*, user) -> QuerySet[Post]:
    """Published posts for everyone, plus the caller's own drafts; all for staff.

    Staff see drafts because they may change or delete any post. A post outside
    this set is a 404 for the caller, so drafts do not leak their existence.
    """
    posts = Post.objects.select_related("author")
    if user.is_staff:
        return posts
    if user.is_authenticated:
        return posts.filter(Q(published=True) | Q(author=user))
    return post_list_public()


def post_list_public() -> QuerySet[Post]:
    """Published posts: what an anonymous caller sees."""
    return Post.objects.select_related("author").filter(published=True)


def post_author_has_drafts(*, user) -> bool:
    """Whether the user has unpublished posts: then their feed is not the public one."""
    return Post.objects.filter(author=user, published=False).exists()
