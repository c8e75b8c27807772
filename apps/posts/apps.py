"""App configuration for posts."""

from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "apps.posts"
    label = "posts"
    verbose_name = "Posts"
